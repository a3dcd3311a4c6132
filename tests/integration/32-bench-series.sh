# The lab on its subject: bench/smoke.conf on Debian's 7.3.4 with the ext4
# iomap series from the patch store (v2 ported onto 7.3.4).  Both columns
# are measured; the path probes show iomap's and the series' own
# tracepoints on every iomap cell and none on bh cells; the measured samples
# ran untraced; the report's provenance names version, port and patches and
# holds the ratios against the published ones; a real fallback to
# buffer_head (inline_data) is reported as such.
. "$(dirname "$0")/lib.sh"
require_vm
require_series

note "which version fits 7.3.4, and a pinned version that does not"
"$IOLAB" --quiet kernel series ext4-iomap-buffered-io > series.out 2>&1 || { cat series.out; fail "kernel series failed"; }
grep -q '^series   ext4-iomap-buffered-io@v2-on-7.3.4' series.out || { cat series.out; fail "v2's port onto 7.3.4 not picked"; }
grep -q '^origin   patch store: ' series.out || fail "origin not named"
grep -q '^patches  12$' series.out || fail "12 patches expected"
if "$IOLAB" --quiet kernel series ext4-iomap-buffered-io@v3 2> v3.err; then fail "v3 accepted on 7.3.4"; fi
grep -q 'cannot be built on 7.3.4: v3 applies to v7.1-rc1 - use --series ext4-iomap-buffered-io@v2-on-7.3.4' v3.err \
  || { cat v3.err; fail "the refusal does not say what fits"; }
[ "$(wc -l < v3.err)" = 1 ] || { cat v3.err; fail "more than one line for a version that does not fit"; }

note "bench/smoke.conf with the series"
"$IOLAB" bench --accel tcg --format none "$IOLAB_HOME/bench/smoke.conf" > bench.out 2> bench.err || { tail -20 bench.err; fail "bench failed"; }
cat bench.out
run=$(sed -n 's/^run \([^:]*\): .*cells.*/\1/p' bench.out | head -n 1)
[ -n "$run" ] || fail "no run id printed"
grep -q "ext4-iomap-buffered-io: taking v2 ported onto 7.3.4" bench.err || fail "the bench did not say which version it took"
grep -q "^path probes (traced, outside the measured samples): 12," bench.out || fail "one probe per cell expected"
db=results/iolab.db
q() { sqlite3 "$db" "$1"; }
[ "$(q "select count(*) from cells where run_id='$run' and status='ok'")" = 12 ] \
  || { q "select cell_id, status, reason from cells where run_id='$run'"; fail "every cell must be ok"; }
[ "$(q "select count(*) from samples where run_id='$run' and ok=1 and mib_s > 0")" = 36 ] || fail "36 good samples expected"
probe() { echo "json_extract(evidence_json,'\$.path_probe.evidence.$1')"; }
[ "$(q "select count(*) from samples where run_id='$run' and cell_id like '%/iomap' and $(probe iomap_events.buffered) > 0 and $(probe own_events) > 0 and json_extract(evidence_json,'\$.path_option_in_effect')=1")" = 18 ] \
  || fail "iomap samples lack positive evidence (iomap and ext4 iomap tracepoints)"
[ "$(q "select count(*) from samples where run_id='$run' and cell_id like '%/bh' and $(probe iomap_events.buffered) = 0 and $(probe own_events) = 0")" = 18 ] \
  || fail "bh samples lack negative evidence"
[ "$(q "select count(*) from samples where run_id='$run' and json_extract(evidence_json,'\$.iomap_events') is not null")" = 0 ] \
  || fail "a measured sample was traced"
[ "$(q "select count(*) from samples where run_id='$run' and cell_id like '%uncached_write%' and json_extract(evidence_json,'\$.page_cache_flat')=1")" = 12 ] \
  || fail "uncached writes must leave the page cache flat on both paths"

note "provenance and the published ratios"
"$IOLAB" report "$run" --format text --reference cover-letter-v3 > report.txt || fail "report failed"
grep -q "ext4-iomap-buffered-io v2 .*made for next-20260122, ported onto 7.3.4, from patch store" report.txt \
  || { grep -i series report.txt; fail "provenance does not name version and port"; }
# Each patch by hash and subject (the store's patches are the user's: nothing of them is named here).
# One patch a line: the first "patches" entry and the lines that continue it.
[ "$(awk '/^  patches /{p=1} p && !/^  patches / && !/^      /{exit} p' report.txt \
    | grep -o '[0-9a-f]\{12\} ext4: ' | wc -l)" = 12 ] || fail "provenance does not list the 12 patches"
"$IOLAB" report "$run" --format csv --reference cover-letter-v3 > report.csv
awk -F, 'NR>1 && $10=="iomap" && $24!="" && $27!="" {n++} END {exit !(n==6)}' report.csv \
  || { cat report.csv; fail "every iomap cell needs its ratio beside the published one"; }

note "a real fallback: inline_data keeps files on buffer_head"
cat > fallback.conf <<'CONF'
[matrix]
name = fallback
series = ext4-iomap-buffered-io
kernels = default
paths = bh iomap
devices = virtio-blk
fs_configs = inline
workloads = write_cache
block_sizes = 1M
file_size = 16M
runtime = 1
repetitions = 1
guest_mem = 1G
guest_cpus = 2
disk_size = auto
backing = memory

[fs.inline]
mkfs = -b 4096 -O inline_data

[kernel.default]
source = debian:linux-source-7.3
series = ext4-iomap-buffered-io
CONF
rc=0; "$IOLAB" bench --accel tcg --format text fallback.conf > fb.out 2> fb.err || rc=$?
[ "$rc" = 1 ] || { tail fb.err; fail "the fallback run should end with exit 1 (a cell without figures), got $rc"; }
grep -q "fell back to buffer_head (inline_data)" fb.out || { cat fb.out; fail "the fallback is not reported as such"; }
fb=$(sed -n 's/^run \([^:]*\): .*cells.*/\1/p' fb.out | head -n 1)
[ "$(q "select count(*) from samples where run_id='$fb' and ok=1 and cell_id like '%/iomap'")" = 0 ] || fail "a fallback was stored as an iomap figure"
[ "$(q "select count(*) from samples where run_id='$fb' and ok=1 and cell_id like '%/bh'")" = 1 ] || fail "the bh cell of the fallback run must be measured"
no_strays 32
echo ok
