# Every section of fstests-configs/ext4.config made for real in a guest,
# without fstests: dumpe2fs must show what the section's mkfs options ask
# for, the bh sections must mount, and on this kernel (no series) the iomap
# sections must stop with "kernel does not support buffered_iomap".
. "$(dirname "$0")/lib.sh"
require_vm
kernel=$(test_kernel)
image=$(test_image)

all=4k,4k-iomap,1k,1k-iomap,64k,64k-iomap,bigalloc_4k,bigalloc_4k-iomap,fast_commit,fast_commit-iomap
rc=0
"$IOLAB" fstests check-configs --kernel "$kernel" --image "$image" --accel tcg --mem 1G \
  --results res --config "$all" > cfg.out 2> cfg.err || rc=$?
cat cfg.out
[ "$rc" = 0 ] || { cat cfg.err; fail "check-configs failed (exit $rc)"; }
grep -q Sanitizer cfg.err && { cat cfg.err; fail "a sanitizer report"; }

made() {
  grep -q "^$1: mkfs.ext4 .* made $2 (dumpe2fs -h); $3" cfg.out ||
    fail "[$1]: want '$2' and '$3' in its line"
}
bh="mounts with -o acl,user_xattr,block_validity (nobuffered_iomap left out: the kernel lacks the series)"
iomap="cannot run on this kernel: kernel does not support buffered_iomap"
made 4k "Block size 4096" "$bh"
made 1k "Block size 1024" "$bh"
made 64k "Block size 65536" "$bh"
made bigalloc_4k "Block size 4096, Cluster size 65536, bigalloc" "$bh"
made fast_commit "Block size 4096, Inode size 256, fast_commit, 64bit" "$bh"
made 4k-iomap "Block size 4096" "$iomap"
made 1k-iomap "Block size 1024" "$iomap"
made 64k-iomap "Block size 65536" "$iomap"
made bigalloc_4k-iomap "Block size 4096, Cluster size 65536, bigalloc" "$iomap"
made fast_commit-iomap "Block size 4096, Inode size 256, fast_commit, 64bit" "$iomap"
grep -Eq '^Block size: +65536' res/*/64k/dumpe2fs.txt || fail "64k: no dumpe2fs.txt kept"
ls "${IOLAB_CACHE:-$HOME/.cache/iolab}"/fstests/disks/iolab-* 2>/dev/null && fail "disk files left behind"

note "a broken section is one line naming file:line (through the old flag, kept as an alias)"
printf '[x]\nFSTYP=ext4\nTEST_DEV=/dev/sda\n' > bad.config
rc=0
"$IOLAB" fstests --check-configs --configs bad.config --config x 2> bad.err || rc=$?
[ "$rc" = 2 ] || fail "a bad config file: exit $rc, want 2"
grep -q "bad.config:3: TEST_DEV is set by the lab" bad.err || { cat bad.err; fail "unclear error"; }
[ "$(wc -l < bad.err)" = 1 ] || { cat bad.err; fail "more than one line for one problem"; }
echo ok
