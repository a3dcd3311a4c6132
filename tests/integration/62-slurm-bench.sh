# The Slurm executor for real: a single-node Slurm from Debian's slurm-wlm
# (munge + slurmctld + slurmd, started here), bench/smoke.conf submitted as
# a job array, waited for, and collected into the store.
. "$(dirname "$0")/lib.sh"
require_vm
if [ "${IOLAB_SKIP_SLURM:-0}" = 1 ]; then skip "skipped: IOLAB_SKIP_SLURM=1"; fi
test_kernel > /dev/null
state="$PWD/slurm"
trap '"$IOLAB_HOME/tests/slurm/stop-single-node" "$state" > /dev/null 2>&1 || true' EXIT
eval "$("$IOLAB_HOME/tests/slurm/start-single-node" "$state")"

"$IOLAB" bench --executor slurm --accel tcg --format none --reps 1 --out plan "$IOLAB_HOME/bench/smoke.conf" > slurm.out 2> slurm.err \
  || { cat slurm.out; tail -20 slurm.err; ls plan; cat plan/slurm-*.out 2>/dev/null | tail -20; fail "the Slurm run failed"; }
run=$(sed -n 's/^run \([^:]*\): .*jobs planned.*/\1/p' slurm.out)
grep -q "collected 1 job results" slurm.out || { cat slurm.out; fail "the array's result was not collected"; }
[ -s plan/slurm-array.sh ] || fail "no array script kept"
ls plan/slurm-*_0.out > /dev/null || fail "no Slurm task log"
[ "$(sqlite3 results/iolab.db "select count(*) from samples where run_id='$run' and ok=1")" = 6 ] || fail "6 good samples expected from the array"
echo ok
