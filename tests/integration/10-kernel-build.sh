# Builds the real default kernel from Debian's source with a patch of the
# project's own, and checks the marker in the image and in the metadata;
# then that the same inputs are a cache hit.
. "$(dirname "$0")/lib.sh"
if [ "${IOLAB_SKIP_KERNEL_BUILD:-0}" = 1 ]; then
  skip "skipped: IOLAB_SKIP_KERNEL_BUILD=1"
fi
require_vm

start=$(date +%s)
key=$(test_kernel)
note "kernel $key built in $(( $(date +%s) - start )) s"
dir=$("$IOLAB" kernel info --path "$key")
[ -s "$dir/bzImage" ] || fail "no bzImage in $dir"
"$IOLAB" kernel info "$key" > meta.out
grep -q '"subject": "init: print the iolab test marker at boot"' meta.out || fail "marker patch not in metadata"
grep -q '"release": "7.3' meta.out || fail "release is not 7.3.x"
grep -q '"config_sha256"' meta.out || fail "no config hash"
grep -q '"buffered_iomap": false' meta.out || fail "a kernel without the series must say so"
grep -q 'CONFIG_LKDTM=y' "$dir/config" || fail "the --config fragment did not reach .config"

# The marker is in the kernel that was stored: it prints it at boot.  (Not
# the slot's vmlinux: the object tree is shared by every kernel of this
# source and config, and holds whichever was built last.)
image=$(test_image)
"$IOLAB" vm run --kernel "$key" --image "$image" --accel tcg --disk-size 64M --mem 512M \
  --run-dir boot -- true > boot.out 2>&1 || { cat boot.out; fail "the test kernel did not boot"; }
grep -q "iolab-marker: built by the iolab kernel test" boot/console.log || fail "marker not printed at boot"
src=$(sed -n 's/.*"build_dir": "\(.*\)".*/\1/p' meta.out)
[ -d "$src" ] || fail "no build directory $src"

# Same inputs: a cache hit that returns at once.
t0=$(date +%s%N)
key2=$(test_kernel)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$key" = "$key2" ] || fail "same inputs gave another key ($key2)"
note "cache hit in $ms ms"
[ "$ms" -lt 5000 ] || fail "cache hit took $ms ms (> 5 s)"

# A patch that does not apply: one clear error naming it, nothing cached.
if "$IOLAB" kernel build --patches "$FIX/patches/conflict.patch" 2> err.out; then
  fail "a conflicting patch was accepted"
fi
grep -q 'does not apply: fs/ext4/inode.c failed' err.out || { cat err.out; fail "conflict error does not name the file"; }
[ "$(grep -c 'error' err.out)" -eq 1 ] || { cat err.out; fail "more than one error line"; }

# An unknown series and an unknown option are refused with one line.
"$IOLAB" kernel build --series no-such-series 2> err.out && fail "unknown series accepted"
grep -q "unknown series 'no-such-series'" err.out || fail "unknown series not named"
"$IOLAB" kernel build --bogus 2> err.out && fail "unknown option accepted"
grep -q "unknown option '--bogus'" err.out || fail "unknown option not named"
echo "ok"
