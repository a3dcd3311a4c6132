# The benchmark's three ext4 configurations are made for real in a guest and
# dumpe2fs confirms block and cluster size; a series option on a kernel
# without the series is refused in plain words.
. "$(dirname "$0")/lib.sh"
require_vm
kernel=$(test_kernel)
image=$(test_image)
run() { "$IOLAB" vm run --kernel "$kernel" --image "$image" --accel tcg --disk-size 1G --mem 1G "$@"; }

run --mkfs 'ext4:-b 4096 -E lazy_itable_init=0,lazy_journal_init=0' -- dumpe2fs -h /dev/vdb > d4k.out 2>/dev/null
grep -Eq '^Block size: +4096' d4k.out || fail "4k: block size"

run --mkfs 'ext4:-b 65536' --mount '' -- dumpe2fs -h /dev/vdb > d64k.out 2>/dev/null
grep -Eq '^Block size: +65536' d64k.out || fail "64k: block size (and it must mount on this kernel)"

run --mkfs 'ext4:-b 4096 -O bigalloc -C 65536' -- dumpe2fs -h /dev/vdb > dbig.out 2>/dev/null
grep -Eq '^Block size: +4096' dbig.out || fail "bigalloc: block size"
grep -Eq '^Cluster size: +65536' dbig.out || fail "bigalloc: cluster size"

if run --mkfs ext4 --mount nobuffered_iomap -- true 2> mount.err; then
  fail "nobuffered_iomap mounted on a kernel without the series"
fi
grep -q "kernel does not support nobuffered_iomap" mount.err || { cat mount.err; fail "unclear error for a missing series option"; }
echo ok
