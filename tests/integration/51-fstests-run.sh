# A small real fstests run on the 4k section: ext4/001 and generic/002, and
# fstests' own selftests of a test setup (tests/selftest: 001 passes, 002
# and 003 fail, 004 is skipped, 005 crashes the kernel through sysrq, 006
# hangs).  The crash and the hang must each cost only their test, marked as
# an error, with the run going on in a new VM; everything must end up in
# one JUnit result.  4k-iomap must stop with "kernel does not support
# buffered_iomap" on this kernel.  Needs an fstests checkout:
# IOLAB_FSTESTS=DIR.
. "$(dirname "$0")/lib.sh"
require_vm
if [ -z "${IOLAB_FSTESTS:-}" ]; then
  skip "skipped: no fstests checkout; set IOLAB_FSTESTS=DIR to a clone of xfstests-dev (fstests is not in Debian)"
fi
[ -x "$IOLAB_FSTESTS/check" ] || fail "IOLAB_FSTESTS=$IOLAB_FSTESTS is not an fstests checkout (no ./check)"
kernel=$(test_kernel)
disks="${IOLAB_CACHE:-$HOME/.cache/iolab}/fstests/disks"

rc=0
"$IOLAB" fstests --fstests "$IOLAB_FSTESTS" --kernel "$kernel" --accel tcg --results res \
  --test-timeout 120 --config 4k,4k-iomap ext4/001 generic/002 \
  selftest/001 selftest/002 selftest/003 selftest/004 selftest/005 selftest/006 \
  > run.out 2> run.err || rc=$?
cat run.out
[ "$rc" = 1 ] || { tail -30 run.err; fail "exit $rc; want 1 (4k-iomap cannot run on this kernel)"; }

grep -q Sanitizer run.err && { cat run.err; fail "a sanitizer report"; }
grep -Eq '^4k: 8 tests, 2 failures, 2 errors, 1 skipped, [0-9]+ seconds$' run.out || fail "4k summary"
grep -q '^  Failures: selftest/002 selftest/003$' run.out || fail "failures"
grep -q '^  Errors: selftest/005 selftest/006$' run.out || fail "errors"
grep -q '^4k-iomap: not run: kernel does not support buffered_iomap$' run.out || fail "4k-iomap"
grep -q "selftest/005: the kernel crashed" run.err || { cat run.err; fail "the crash was not reported"; }
grep -q "selftest/006: no progress for 120 s" run.err || { cat run.err; fail "the hang was not reported"; }

dir=$(ls -d res/*/4k)
[ -d "$dir/boot-2" ] || fail "no second boot for the tests after the crash"
grep -c '<testcase ' "$dir/result.xml" | grep -qx 8 || fail "result.xml does not hold all 8 tests"
grep -q 'errors="2"' "$dir/result.xml" || fail "result.xml counts"
grep -q 'Machine rebooted (crash or test timeout): the kernel crashed' "$dir/result.xml" || fail "crash in result.xml"
[ -s "$dir/selftest/002.out.bad" ] || fail "no .out.bad copied for a failed test"
[ -s "$dir/selftest/005.console" ] || fail "no console excerpt for the crash"
# Neither boot lived to write fstests' check.log; the lab's says why.
grep -q '^# iolab: boot 1: none, the guest was lost' "$dir/check.log" || fail "check.log: boot 1"
grep -q '^Error: selftest/006: Machine rebooted' "$dir/check.log" || fail "check.log: the hang"
# fstests read the section the lab wrote.
grep -q '^MKFS_OPTIONS  -- -F -q -b 4096 /dev/vdc' "$dir/check.out" || fail "MKFS_OPTIONS in check.out"
grep -q '^MOUNT_OPTIONS -- -o acl,user_xattr -o block_validity /dev/vdc' "$dir/check.out" || fail "MOUNT_OPTIONS"
grep -q '"left_out_option": "nobuffered_iomap"' "$dir/section.json" || fail "section.json"
grep -Eq '^Block size: +4096' "$dir/dumpe2fs.txt" || fail "dumpe2fs.txt"

note "summary and diff read the stored run"
"$IOLAB" fstests summary --results res > sum.out
grep -Eq '^4k: 8 tests, 2 failures, 2 errors, 1 skipped' sum.out || { cat sum.out; fail "summary"; }
rc=0; "$IOLAB" fstests diff 4k 4k --results res > diff.out || rc=$?
[ "$rc" = 0 ] && grep -q '^no new failures with 4k against 4k$' diff.out || fail "diff of a section with itself"
rc=0; "$IOLAB" fstests diff 4k 4k-iomap --results res 2> diff.err || rc=$?
[ "$rc" = 2 ] && grep -q "no run in res has results for section" diff.err || { cat diff.err; fail "diff against a section that never ran"; }

sleep 0.5
pgrep -f "qemu-system-x86_64.*$PWD/res" && fail "a QEMU process is left over"
ls "$disks"/iolab-* 2>/dev/null && fail "disk files left in $disks"
echo ok
