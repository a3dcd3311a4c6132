# The evidence check, both ways: a buffered write on ext4 without the
# series (buffer_head) fires no iomap buffered-I/O tracepoint; the same
# write on the series' kernel mounted with buffered_iomap fires them.  The
# guest kernel has no XFS (issue 11 trimmed it), so the positive control is
# the subject itself, from the patch store; without a store, an extent map
# (FIEMAP, which ext4 answers through iomap on either path) shows at least
# that tracing and counting work, and the test says the series half did not run.
. "$(dirname "$0")/lib.sh"
require_vm
kernel=$(test_kernel)
image=$(test_image)
job='[w]\nfilename=/mnt/test/f\nrw=write\nbs=64k\nsize=16M\nioengine=psync\ndirect=0\n'
# count NAME KERNEL MOUNT-OPTIONS COMMAND: the iomap buffered-I/O events COMMAND fired.
count() {
  "$IOLAB" vm run --kernel "$2" --image "$image" --accel tcg --disk-size 512M --mem 1G \
    --mkfs ext4 --mount "$3" --trace iomap -- sh -c "$4" > "$1.out" 2> "$1.err" || { cat "$1.err"; fail "$1: run failed"; }
  sed -n 's/.* \([0-9]*\) of them iomap buffered I\/O.*/\1/p' "$1.err"
}
write="printf '$job' > /tmp/j.fio && fio --output=/dev/null /tmp/j.fio && sync"
bh=$(count bh "$kernel" '' "$write")
note "iomap buffered-I/O tracepoints on ext4 without the series: $bh"
[ -n "$bh" ] && [ "$bh" -eq 0 ] || fail "ext4's buffer_head path fired iomap events ($bh)"
fiemap=$(count fiemap "$kernel" '' "$write && xfs_io -c fiemap /mnt/test/f")
note "the same with an extent map (FIEMAP) after it: $fiemap"
[ -n "$fiemap" ] && [ "$fiemap" -gt 0 ] || fail "FIEMAP fired no iomap event: tracing or counting is broken"
if [ -n "$series_store" ] && [ -d "$series_store/ext4-iomap-buffered-io" ]; then
  export IOLAB_PATCH_STORE="$series_store"
  skernel=$("$IOLAB" --quiet kernel build --series ext4-iomap-buffered-io)
  iomap=$(count iomap "$skernel" buffered_iomap "$write")
  note "the same write on the series' kernel with buffered_iomap: $iomap"
  [ -n "$iomap" ] && [ "$iomap" -gt 0 ] || fail "ext4 with buffered_iomap fired no iomap buffered-I/O events: the evidence check could never pass"
else
  note "no patch store with ext4-iomap-buffered-io: the positive control on the series did not run"
fi
echo ok
