# ci/nightly end to end on the smoke matrix: a first run becomes the
# baseline and passes; against a baseline whose figures are raised (an
# injected regression) the next night exits 1 and names the cells; against
# one whose figures are lowered, the comparison passes.
. "$(dirname "$0")/lib.sh"
require_vm
test_kernel > /dev/null
nightly="$IOLAB_HOME/ci/nightly"
db=results/iolab.db

"$nightly" --matrix "$IOLAB_HOME/bench/smoke.conf" --accel tcg --out nightly > n1.out 2>&1 || { tail -30 n1.out; fail "first night failed"; }
base=$(cat nightly/baseline)
[ -n "$base" ] || fail "the first good run did not become the baseline"
[ -s "nightly/$base.html" ] && [ -s "nightly/$base.md" ] || fail "no report written"

# Copy the baseline run with its figures scaled: a run id the store knows.
scaled() {  # $1 new run id, $2 factor
  sqlite3 "$db" "
    insert into runs select '$1', created, matrix_name, matrix_path, matrix_sha256, meta_json, status from runs where run_id='$base';
    insert into cells select '$1', cell_id, kernel, device, fs_config, workload, bs, path, status, reason from cells where run_id='$base';
    insert into samples select '$1', cell_id, rep, mib_s*$2, cast(bw_bytes*$2 as integer), io_bytes, runtime_ms, fio_version,
      job_path, json_path, evidence_json, ok, failure, overhead_s, host, accel, created from samples where run_id='$base';"
}
scaled raised 3
scaled lowered 0.3

rc=0
"$nightly" --matrix "$IOLAB_HOME/bench/smoke.conf" --accel tcg --out nightly --baseline raised > n2.out 2>&1 || rc=$?
[ "$rc" = 1 ] || { tail -30 n2.out; fail "an injected regression exited $rc, want 1"; }
grep -q "REGRESSION against raised" n2.out || fail "the regression is not announced"
run=$(cat nightly/last-run)
[ -s "nightly/$run.junit.xml" ] || fail "no JUnit XML"
python3 -c "import xml.etree.ElementTree as E,sys; r=E.parse(sys.argv[1]).getroot(); assert r.iter('failure')" "nightly/$run.junit.xml" \
  || fail "JUnit XML is not well formed"
grep -q "write_cache" "nightly/$run.compare.txt" || fail "the regressed cells are not named"

"$IOLAB" compare lowered "$run" --threshold 5% > pass.out || fail "compare against a lower baseline must pass"
echo ok
