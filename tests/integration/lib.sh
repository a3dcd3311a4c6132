# Shared by the integration tests (sourced).  $IOLAB is the binary under
# test (the sanitized build by default), $IOLAB_HOME the checkout.
set -euo pipefail
FIX="$IOLAB_HOME/tests/fixtures"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

# The user's patch store (CI's is ../shared/series).  Only the tests that
# call require_series see it: the others measure a kernel without the series,
# as on a machine with no store, and their figures stay comparable.
series_store="${IOLAB_PATCH_STORE:-}"
if [ -z "$series_store" ] && [ -d "$IOLAB_HOME/../shared/series" ]; then
  series_store="$(cd "$IOLAB_HOME/../shared/series" && pwd)"
fi
unset IOLAB_PATCH_STORE

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
note() { echo "--- $*"; }

# Skipping the kernel and VM tests takes an explicit variable, never a silent default.
require_vm() {
  if [ "${IOLAB_SKIP_VM:-0}" = 1 ]; then
    skip "skipped: IOLAB_SKIP_VM=1 (kernel builds and VM boots not wanted in this run)"
  fi
}

# The CI test kernel: Debian's linux-source-7.3 + the marker patch + LKDTM.
# One build serves every VM test (a cache hit after the first).
test_kernel() {
  "$IOLAB" --quiet kernel build --patches "$FIX/marker.patch" --config "$FIX/lkdtm.config"
}

# Tests that need the series itself skip without a store that holds it.
require_series() {
  [ -n "$series_store" ] && [ -d "$series_store/ext4-iomap-buffered-io" ] \
    || skip "skipped: no patch store with ext4-iomap-buffered-io (set IOLAB_PATCH_STORE; CI uses ../shared/series)"
  export IOLAB_PATCH_STORE="$series_store"
}

test_image() {
  "$IOLAB" --quiet image build
}

# Leftovers of a lab that is gone: a backing file whose iolab process is dead
# (they are named /dev/shm/iolab-<pid>-...), or a QEMU whose console log is
# under this test's directory.  Other labs running beside the test are fine.
no_strays() {
  sleep 0.5
  local f pid
  for f in /dev/shm/iolab-*; do
    [ -e "$f" ] || continue
    pid=${f#/dev/shm/iolab-}; pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null || fail "$1: backing file $f left behind"
  done
  if pgrep -f "qemu-system-x86_64.*$PWD/" > /dev/null; then fail "$1: a QEMU process is left over"; fi
  return 0
}
