# A run as jobs: plan -> run-job -> collect gives the same cells and metadata
# as a direct local run; collect refuses a job result that does not match
# its plan or comes twice, and names the jobs still missing.
. "$(dirname "$0")/lib.sh"
require_vm
test_kernel > /dev/null
smoke="$IOLAB_HOME/bench/smoke.conf"
db=results/iolab.db
q() { sqlite3 "$db" "$1"; }

"$IOLAB" bench --accel tcg --format none --reps 1 "$smoke" > local.out 2> local.err || { tail local.err; fail "local run failed"; }
local_run=$(sed -n 's/^run \([^:]*\): .*cells.*/\1/p' local.out | head -n 1)

"$IOLAB" bench plan --out plan --reps 1 "$smoke" > plan.out || fail "plan failed"
job_run=$(sed -n 's/^run \([^:]*\): .*jobs planned.*/\1/p' plan.out)
[ -f plan/jobs/job-000.json ] || fail "no job file"
grep -q '"key"' plan/jobs/job-000.json && grep -q '"image_key"' plan/jobs/job-000.json || fail "the job does not name its kernel and image by key"
"$IOLAB" bench run-job --accel tcg --out plan/results/job-000 plan/jobs/job-000.json > job.out 2>&1 || { tail job.out; fail "run-job failed"; }
[ -s plan/results/job-000/job-result.json ] || fail "no job-result.json"
"$IOLAB" bench collect plan > collect.out || { cat collect.out; fail "collect failed"; }

# Same cells, same statuses, same number of good samples, same metadata keys.
cells() { q "select cell_id || ' ' || status from cells where run_id='$1' order by cell_id"; }
[ "$(cells "$local_run")" = "$(cells "$job_run")" ] || { diff <(cells "$local_run") <(cells "$job_run"); fail "cells differ between local and job runs"; }
[ "$(q "select count(*) from samples where run_id='$local_run' and ok=1")" = "$(q "select count(*) from samples where run_id='$job_run' and ok=1")" ] || fail "sample counts differ"
keys() { q "select meta_json from runs where run_id='$1'" | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)))'; }
[ "$(keys "$local_run")" = "$(keys "$job_run")" ] || fail "run metadata differs in shape"
[ "$(q "select count(*) from samples where run_id='$job_run' and host != '' and json_extract(evidence_json,'$.hostname') is not null")" -gt 0 ] || fail "the host of each sample is not recorded"
for f in $(q "select json_path from samples where run_id='$job_run'"); do [ -s "$f" ] || fail "collected sample file $f missing"; done

# The report flags a cell whose samples came from two host models, or ran beside other lab VMs.
q "insert into samples select run_id, cell_id, 1, mib_s, bw_bytes, io_bytes, runtime_ms, fio_version, job_path, json_path,
     evidence_json, ok, failure, overhead_s, 'Another CPU model', accel, created
   from samples where run_id='$job_run' and cell_id like '%write_cache/1M/bh' and rep=0"
q "update samples set evidence_json=json_set(evidence_json,'$.other_lab_vms',1) where run_id='$job_run' and cell_id like '%read_ondisk/4k/bh'"
"$IOLAB" report "$job_run" --format text > flags.out
# Whether CELL at BS is among the cells a "flagged: REASON (COLUMN at BS, BS; ...)" line names.
# Only membership: while another lab VM runs (a second bench, a shell) real samples are rightly
# flagged too.
flagged() {
  python3 - "$1" "$2" "$3" flags.out <<'EOP'
import sys
reason, column, bs, path = sys.argv[1:]
head = "flagged: %s (" % reason
for line in open(path):
    if head not in line:
        continue
    for item in line.split(head, 1)[1].strip().rstrip(")").split("; "):
        col, _, sizes = item.rpartition(" at ")
        if col == column and bs in sizes.split(", "):
            sys.exit(0)
sys.exit(1)
EOP
}
flagged "samples came from different host models" "write cache bh" 1M || { cat flags.out; fail "mixed host models not flagged"; }
flagged "samples were taken while other lab VMs ran on the same host" "read ondisk data bh" 4k || { cat flags.out; fail "shared-host samples not flagged"; }

# A second collect of the same results: refused as a duplicate (nothing doubled).
cp -r plan/results/job-000 plan/results/job-000-copy
if "$IOLAB" bench collect plan 2> dup.err; then fail "a duplicated job was accepted"; fi
grep -q "job job-000 was collected twice" dup.err || { cat dup.err; fail "duplicate not named"; }
rm -rf plan/results/job-000-copy

# A result whose kernel does not match the plan: refused, naming it.
sed -i 's/"kernel_key": "\(.\)/"kernel_key": "0\1/' plan/results/job-000/job-result.json
if "$IOLAB" bench collect plan 2> mism.err; then fail "a mismatched job was accepted"; fi
grep -q "job job-000 ran kernel" mism.err || { cat mism.err; fail "mismatch not named"; }

# Missing jobs are named.
cat > two.conf <<EOC
[matrix]
name = two
series = ext4-iomap-buffered-io
kernels = default
paths = bh iomap
devices = virtio-blk nvme
fs_configs = 4k
workloads = write_cache
block_sizes = 1M
file_size = 64M
runtime = 1
repetitions = 1
guest_mem = 1G
[kernel.default]
source = debian:linux-source-7.3
EOC
"$IOLAB" bench plan --out plan2 two.conf > /dev/null || fail "plan of two groups failed"
rc=0; "$IOLAB" bench collect plan2 2> miss.err || rc=$?
[ "$rc" = 1 ] || fail "collect with missing jobs exited $rc, want 1"
grep -q "job-000 (default/virtio-blk/4k)" miss.err && grep -q "job-001 (default/nvme/4k)" miss.err || { cat miss.err; fail "missing jobs not named"; }

# The old mode flags still work for a release: the plan again, as --plan.
"$IOLAB" bench --plan --out plan3 two.conf > /dev/null || fail "--plan (deprecated alias) failed"
[ -f plan3/jobs/job-001.json ] || fail "--plan wrote no jobs"
echo ok
