# The lab comes back with an account of what went wrong, every time, and
# leaves nothing running: a boot that never reaches the agent, a command
# past its limit, an oops, a WARNING on a successful command, the agent
# dying, QEMU killed from outside, and Ctrl-C.
. "$(dirname "$0")/lib.sh"
require_vm
kernel=$(test_kernel)
image=$(test_image)
vmrun() { "$IOLAB" vm run --kernel "$kernel" --image "$image" --accel tcg --disk-size 64M --mem 512M "$@"; }

note "boot with init= pointing nowhere"
if vmrun --boot-timeout 60 --cmdline init=/nonexistent -- true 2> boot.err; then fail "boot without init succeeded"; fi
grep -q "boot failed" boot.err || { cat boot.err; fail "no boot failure reported"; }
grep -qi "init" boot.err || { cat boot.err; fail "the console excerpt does not show the init failure"; }
no_strays init

note "a command past its time limit"
start=$(date +%s)
rc=0; vmrun --timeout 2 -- sleep 60 2> sleep.err || rc=$?
[ "$rc" = 124 ] || { cat sleep.err; fail "sleep past its limit: exit $rc, want 124"; }
grep -q "exceeded its time limit of 2 s" sleep.err || fail "time limit not reported"
[ $(( $(date +%s) - start )) -lt 50 ] || fail "the limit did not cut the command short"
no_strays timeout

note "a deliberate oops (LKDTM BUG)"
rc=0; vmrun -- sh -c 'echo BUG > /sys/kernel/debug/provoke-crash/DIRECT' > /dev/null 2> oops.err || rc=$?
[ "$rc" != 0 ] || fail "an oops did not fail the run"
grep -Eq "kernel (bug|oops) on the console" oops.err || { cat oops.err; fail "oops not reported"; }
grep -q "lkdtm" oops.err || { cat oops.err; fail "the oops excerpt does not carry the trace"; }
no_strays oops

note "a WARNING while the command itself succeeds"
rc=0; vmrun -- sh -c 'echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT; true' 2> warn.err || rc=$?
[ "$rc" != 0 ] || fail "a WARNING did not fail the run"
grep -q "kernel warning on the console" warn.err || { cat warn.err; fail "WARNING not reported"; }
no_strays warning

note "the guest agent dying"
rc=0; vmrun --cmdline iolab.test=1 --agent-op '{"op":"crash_test","mode":"exit"}' 2> agent.err || rc=$?
[ "$rc" != 0 ] || fail "a dead agent went unnoticed"
grep -Eq "did not answer \((connection closed|QEMU exited|the kernel crashed)" agent.err || { cat agent.err; fail "agent death not reported"; }
no_strays agent

note "QEMU killed from outside"
vmrun --run-dir killed -- sleep 120 2> killed.err &
pid=$!
for _ in $(seq 100); do grep -q "guest up" killed.err 2>/dev/null && break; sleep 0.3; done
pkill -9 -f "qemu-system-x86_64.*$PWD/killed/console.log" || fail "no QEMU to kill"
rc=0; wait $pid || rc=$?
[ "$rc" != 0 ] || fail "a killed QEMU went unnoticed"
grep -q "QEMU exited" killed.err || { cat killed.err; fail "killed QEMU not reported"; }
no_strays kill

note "Ctrl-C (SIGINT) of the lab"
vmrun --run-dir interrupted -- sleep 120 2> int.err &
pid=$!
for _ in $(seq 100); do grep -q "guest up" int.err 2>/dev/null && break; sleep 0.3; done
kill -INT $pid
wait $pid || true
no_strays sigint
echo ok
