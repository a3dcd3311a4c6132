# The one-node Slurm of tests/slurm/ really runs a job array: start (which
# installs munge and Slurm on first use), start again (already up), a
# three-task array with sbatch --wait, a failing task's exit code reaching
# sbatch, and a stop that leaves nothing running.  No slurmdbd, so the
# checks use scontrol and files, not sacct.
. "$(dirname "$0")/lib.sh"
if [ "${IOLAB_SKIP_SLURM:-0}" = 1 ]; then
  skip "skipped: IOLAB_SKIP_SLURM=1 (no Slurm cluster wanted in this run)"
fi

slurm="$IOLAB_HOME/tests/slurm"
state="$PWD/slurm-state"
trap '"$slurm/stop-single-node" "$state" || true' EXIT
ms() { date +%s%3N; }

# The pid files' processes are gone (a zombie counts as gone: init may reap late).
daemons_gone() {
  local f pid st
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    [ -s "$state/$f" ] || continue
    pid=$(cat "$state/$f")
    st=$(cat "/proc/$pid/stat" 2> /dev/null) || continue
    st=${st##*) }
    [ "${st%% *}" = Z ] || { echo "pid $pid of $f still runs"; return 1; }
  done
}

t0=$(ms)
env_line=$("$slurm/start-single-node" "$state") || fail "start-single-node failed"
note "start took $(($(ms) - t0)) ms"
[ "$env_line" = "export SLURM_CONF=$state/slurm.conf" ] || fail "unexpected start output: $env_line"
[ "$(cat "$state/env")" = "$env_line" ] || fail "$state/env does not hold the export line"
eval "$env_line"
node=$(hostname -s)
[ "$(sinfo -h -N -n "$node" -o '%P %t')" = "iolab* idle" ] || { sinfo -N -l; fail "node $node not idle in default partition iolab"; }

again=$("$slurm/start-single-node" "$state" 2> again.err) || { cat again.err; fail "second start failed"; }
[ "$again" = "$env_line" ] || fail "second start printed: $again"
grep -q "already running" again.err || { cat again.err; fail "second start did not reuse the running cluster"; }

mkdir out
cat > task.sh << 'EOF'
#!/bin/sh
echo "$SLURM_ARRAY_TASK_ID" > "out/task-$SLURM_ARRAY_TASK_ID"
EOF
t0=$(ms)
job=$(sbatch --wait --parsable --array=0-2 --output=out/slurm-%A_%a.out task.sh) || fail "sbatch --wait failed"
note "array 0-2 done in $(($(ms) - t0)) ms (job $job)"
for i in 0 1 2; do
  [ "$(cat "out/task-$i" 2> /dev/null)" = "$i" ] || fail "task $i did not write out/task-$i"
done
scontrol -o show job "$job" > job.txt || fail "scontrol show job $job failed"
[ "$(grep -c "ArrayJobId=$job " job.txt)" = 3 ] || { cat job.txt; fail "expected 3 array tasks of job $job"; }
[ "$(grep -c 'JobState=COMPLETED .* ExitCode=0:0' job.txt)" = 3 ] || { cat job.txt; fail "not every task COMPLETED with exit 0"; }

# The submission code relies on this: sbatch --wait exits with the highest task exit code.
rc=0
sbatch --wait --quiet --array=0-1 --output=out/fail-%a.out --wrap='exit $((SLURM_ARRAY_TASK_ID * 3))' || rc=$?
[ "$rc" = 3 ] || fail "a task exiting 3 made sbatch --wait exit $rc"

t0=$(ms)
"$slurm/stop-single-node" "$state" || fail "stop-single-node failed"
note "stop took $(($(ms) - t0)) ms"
daemons_gone || fail "daemons left running after stop"
if timeout 10 sinfo > /dev/null 2>&1; then fail "sinfo still answers after stop"; fi
"$slurm/stop-single-node" "$state" || fail "a second stop failed"
echo ok
