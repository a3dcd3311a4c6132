# bench/smoke.conf end to end under TCG on a kernel without the series:
# every bh cell has samples with evidence and metadata, every iomap cell
# reads "not measured", and the run is resumable.
. "$(dirname "$0")/lib.sh"
require_vm
test_kernel > /dev/null

"$IOLAB" bench --accel tcg --format none "$IOLAB_HOME/bench/smoke.conf" > bench.out 2> bench.err || { tail -20 bench.err; fail "bench failed"; }
cat bench.out
run=$(sed -n 's/^run \([^:]*\): .*cells.*/\1/p' bench.out | head -n 1)
[ -n "$run" ] || fail "no run id printed"
db=results/iolab.db
q() { sqlite3 "$db" "$1"; }

[ "$(q "select count(*) from cells where run_id='$run'")" = 12 ] || fail "12 cells expected"
[ "$(q "select count(*) from cells where run_id='$run' and path='bh' and status='ok'")" = 6 ] || fail "every bh cell must be ok"
[ "$(q "select count(*) from cells where run_id='$run' and path='iomap' and status='not-measured' and reason='kernel has no buffered_iomap'")" = 6 ] \
  || fail "iomap cells must read not measured: kernel has no buffered_iomap"
[ "$(q "select count(*) from samples where run_id='$run' and cell_id like '%/iomap'")" = 0 ] || fail "an iomap figure was stored"
[ "$(q "select count(*) from samples where run_id='$run' and ok=1 and mib_s > 0")" = 18 ] || fail "18 good bh samples expected"
[ "$(q "select count(*) from samples where run_id='$run' and json_extract(evidence_json,'$.path_probe.evidence.iomap_events.buffered')=0 and json_extract(evidence_json,'$.path_probe.ok')=1 and json_extract(evidence_json,'$.path_option_in_effect')=1")" = 18 ] \
  || fail "evidence missing on some samples"
# No path option in this kernel: the probe names the path the kernel took, and it is buffer_head.
[ "$(q "select count(*) from samples where run_id='$run' and json_extract(evidence_json,'$.path_probe.evidence.chosen_by')='kernel' and json_extract(evidence_json,'$.path_probe.evidence.observed_path')='bh'")" = 18 ] \
  || fail "the probes of a kernel without the option must name the path it took (bh)"
[ "$(q "select count(*) from samples where run_id='$run' and cell_id like '%uncached_write%' and json_extract(evidence_json,'$.page_cache_flat')=1")" = 6 ] \
  || fail "uncached writes must leave the page cache flat"
[ "$(q "select count(*) from samples where run_id='$run' and fio_version like 'fio-3.%' and accel in ('tcg','kvm') and host != ''")" = 18 ] \
  || fail "samples lack fio version, accelerator or host"
for f in $(q "select json_path from samples where run_id='$run'") $(q "select job_path from samples where run_id='$run'"); do
  [ -s "$f" ] || fail "missing sample file $f"
done
meta=$(q "select meta_json from runs where run_id='$run'")
for k in '"release"' '"config_sha256"' '"fio_version"' '"qemu_version"' '"cpu_model"' '"matrix"'; do
  echo "$meta" | grep -q "$k" || fail "run metadata lacks $k"
done
ls results/$run/*/vm*/console.log > /dev/null || fail "no console log kept"

# Resume: nothing is missing, so nothing is run again.
"$IOLAB" bench --accel tcg --format none --resume "$run" "$IOLAB_HOME/bench/smoke.conf" > resume.out 2>&1 || { cat resume.out; fail "resume failed"; }
grep -q "run $run: 0 samples taken (18 already stored)" resume.out || { cat resume.out; fail "resume re-ran samples"; }

# A bad matrix is refused before anything boots, with file, line and reason.
sed 's/^workloads = .*/workloads = write_cache bogus_load/' "$IOLAB_HOME/bench/smoke.conf" > bad.conf
line=$(grep -n '^workloads' bad.conf | cut -d: -f1)
if "$IOLAB" bench bad.conf 2> bad.err; then fail "a bad matrix was accepted"; fi
grep -q "bad.conf:$line: .*bogus_load" bad.err || { cat bad.err; fail "the refusal does not name file, line and reason"; }
[ "$(wc -l < bad.err)" = 1 ] || { cat bad.err; fail "more than one line for a bad matrix"; }
echo ok
