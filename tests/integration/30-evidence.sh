# The evidence check, both ways, on a kernel without the series: a buffered
# write on ext4 (buffer_head) fires no iomap buffered-I/O tracepoint, the
# same write on XFS (whose buffered I/O already goes through iomap) fires them.
. "$(dirname "$0")/lib.sh"
require_vm
kernel=$(test_kernel)
image=$(test_image)
job='[w]\nfilename=/mnt/test/f\nrw=write\nbs=64k\nsize=16M\nioengine=psync\ndirect=0\n'
count() {
  "$IOLAB" vm run --kernel "$kernel" --image "$image" --accel tcg --disk-size 512M --mem 1G \
    --mkfs "$1" --mount '' --trace iomap -- \
    sh -c "printf '$job' > /tmp/j.fio && fio --output=/dev/null /tmp/j.fio && sync" 2> "$1.err" || { cat "$1.err"; fail "$1: run failed"; }
  sed -n 's/.* \([0-9]*\) of them iomap buffered I\/O.*/\1/p' "$1.err"
}
ext4=$(count ext4)
xfs=$(count xfs)
note "iomap buffered-I/O tracepoints: ext4 (bh) $ext4, xfs $xfs"
[ -n "$ext4" ] && [ "$ext4" -eq 0 ] || fail "ext4's buffer_head path fired iomap events ($ext4)"
[ -n "$xfs" ] && [ "$xfs" -gt 0 ] || fail "XFS fired no iomap buffered-I/O events: the evidence check could never pass"
echo ok
