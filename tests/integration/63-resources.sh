# What a run needs from the host is checked before anything is built or
# boots: too large a file_size, too many VMs at once, a disk larger than
# /dev/shm, a backing directory without room and fstests disks are each
# refused in one line naming the numbers and what to change; a run that
# fits says what it needs and goes on.  No kernel, image or VM: the
# matrices name a kernel source that does not exist, so a run the check
# lets through stops at once at the kernel, proving the check came first.
# IOLAB_FAKE_DISK_FREE / IOLAB_FAKE_MEM_AVAILABLE stand in for the host's
# numbers where a real host's would make the outcome depend on the machine.
. "$(dirname "$0")/lib.sh"
export IOLAB_CACHE="$PWD/cache"
unset IOLAB_FSTESTS IOLAB_FAKE_DISK_FREE IOLAB_FAKE_MEM_AVAILABLE

matrix() { # NAME DEVICES FS_CONFIGS EXTRA...
  local name=$1 devices=$2 fs=$3; shift 3
  {
    printf '[matrix]\nname = %s\nseries = ext4-iomap-buffered-io\nkernels = default\n' "$name"
    printf 'paths = bh iomap\ndevices = %s\nfs_configs = %s\n' "$devices" "$fs"
    printf 'workloads = write_cache read_ondisk\nblock_sizes = 1M\nguest_mem = 2G\n'
    printf '%s\n' "$@"
    printf '[kernel.default]\nsource = %s/no-such-kernel-tree\n' "$PWD"
  } > "$name.conf"
}

# Refused: exit 2, exactly one line on stderr, holding every given text, and
# nothing built or stored.
refused() { # LABEL ERRFILE TEXT...
  local label=$1 err=$2; shift 2
  [ "$(wc -l < "$err")" = 1 ] || { cat "$err"; fail "$label: not one line"; }
  for t in "$@"; do grep -qF -- "$t" "$err" || { cat "$err"; fail "$label: no '$t'"; }; done
  [ ! -e results/iolab.db ] || fail "$label: the store was written before the refusal"
  [ ! -d "$IOLAB_CACHE/kernels" ] && [ ! -d "$IOLAB_CACHE/images" ] \
    || fail "$label: something was built before the refusal"
}

run() { # EXPECTED_RC OUT ERR ARGS...
  local want=$1 out=$2 err=$3 rc=0; shift 3
  "$IOLAB" "$@" > "$out" 2> "$err" || rc=$?
  [ "$rc" = "$want" ] || { cat "$out" "$err"; fail "iolab $* exited $rc, want $want"; }
}

note "a file_size no /dev/shm holds"
matrix huge virtio-blk 4k "file_size = 64T"
run 2 huge.out huge.err bench huge.conf
refused "file_size" huge.err "iolab: error: /dev/shm: the VM's disks would take" \
  "(file_size 64T + " "use a smaller file_size" "backing = DIR"
grep -q "fewer parallel VMs" huge.err && fail "one VM was told to run fewer VMs at once"

note "issue 11's 40G memory-backed disk on a host whose /dev/shm holds 24G"
matrix disk40 virtio-blk 4k "file_size = 512M" "disk_size = 40G"
IOLAB_FAKE_DISK_FREE=24G run 2 disk40.out disk40.err bench disk40.conf
refused "disk_size" disk40.err "/dev/shm: a 40.0 GiB disk is larger than the whole file system there (24.0 GiB)" \
  "use a smaller disk_size"

note "too many VMs at once (-j), 9 VM groups, 8G of memory"
matrix nine "virtio-blk nvme pmem" "4k 64k bigalloc" "file_size = 256M"
export IOLAB_FAKE_DISK_FREE=20G IOLAB_FAKE_MEM_AVAILABLE=8G
run 2 j4.out j4.err bench --executor local -j 4 nine.conf
refused "-j 4" j4.err "iolab: error: memory: 4 VMs at once need" "but the host has 8.0 GiB available (MemAvailable)" \
  "fewer parallel VMs (-j N)"
# More than there are groups: only as many VMs as groups run at once.
run 2 j20.out j20.err bench --executor local -j 20 nine.conf
refused "-j 20" j20.err "memory: 9 VMs at once need"
# Too many for /dev/shm rather than for memory.
IOLAB_FAKE_MEM_AVAILABLE=64G IOLAB_FAKE_DISK_FREE=1G run 2 shm.out shm.err bench -j 3 --executor local nine.conf
refused "-j 3" shm.err "/dev/shm: 3 VMs at once would take" "but it has 1.0 GiB free" "fewer parallel VMs (-j N)"

note "what fits says what it needs, before the kernel"
run 2 j2.out j2.err bench --executor local -j 2 nine.conf
grep -qE '^matrix nine: needs: /dev/shm [0-9.]+ (MiB|GiB) of 20.0 GiB free, memory [0-9.]+ GiB of 8.0 GiB available \(2 VMs at once\)$' j2.out \
  || { cat j2.out j2.err; fail "-j 2: no needs line"; }
grep -q "no-such-kernel-tree" j2.err || { cat j2.err; fail "-j 2 did not go on to the kernel"; }
run 2 one.out one.err bench nine.conf
grep -q '^matrix nine: needs: .*(1 VM at once)$' one.out || { cat one.out one.err; fail "run: no needs line"; }

note "--plan alone: jobs may run elsewhere, so a host too small warns and plans"
IOLAB_FAKE_MEM_AVAILABLE=1G run 2 plan.out plan.err bench --plan --out plan nine.conf
grep -q '^matrix nine, per job (one VM each): needs: .* of 1.0 GiB available (1 VM at once)$' plan.out \
  || { cat plan.out plan.err; fail "plan: no needs line"; }
grep -q "warning: a job would not fit on this host: memory: the VM needs" plan.err \
  || { cat plan.err; fail "plan: no warning"; }
grep -q "no-such-kernel-tree" plan.err || fail "plan did not go on to the kernel"
# The runs let through opened the store before their kernel failed; the refusals below must not.
rm -rf results

note "backing = DIR: its free space"
mkdir -p disks
matrix ondisk virtio-blk 4k "file_size = 1G" "backing = $PWD/disks"
IOLAB_FAKE_DISK_FREE=512M run 2 dir.out dir.err bench ondisk.conf
refused "backing" dir.err "iolab: error: $PWD/disks: the VM's disks would take" "but it has 512 MiB free"
# A directory on a disk takes no memory: guests fit that would not with their disks in /dev/shm.
if [ "$(stat -f -c %T disks)" != tmpfs ]; then
  IOLAB_FAKE_DISK_FREE=10G IOLAB_FAKE_MEM_AVAILABLE=2500M run 2 dirmem.out dirmem.err bench ondisk.conf
  grep -q "^matrix ondisk: needs: $PWD/disks .* of 2.5 GiB available" dirmem.out \
    || { cat dirmem.out dirmem.err; fail "backing DIR: no needs line"; }
  sed -i "s|^backing = .*|backing = memory|" ondisk.conf
  IOLAB_FAKE_DISK_FREE=10G IOLAB_FAKE_MEM_AVAILABLE=2500M run 2 inmem.out inmem.err bench ondisk.conf
  grep -q "memory: the VM needs .* of memory-backed disk" inmem.err || { cat inmem.err; fail "memory-backed disk not counted as memory"; }
  rm -rf results
fi
unset IOLAB_FAKE_DISK_FREE IOLAB_FAKE_MEM_AVAILABLE

note "fstests: TEST_DEV and SCRATCH_DEV in full"
IOLAB_FAKE_DISK_FREE=24G run 2 fst.out fst.err fstests --config bigalloc_4k --backing memory
refused "fstests" fst.err "/dev/shm: the VM's disks would take 40.0 GiB there (TEST_DEV and SCRATCH_DEV of 20G" \
  "use a smaller --disk-size, or --backing DIR"
# Smaller disks fit; the run then stops for want of an fstests checkout, never booting.
IOLAB_FAKE_DISK_FREE=24G run 2 fst2.out fst2.err fstests --config bigalloc_4k --backing memory --disk-size 2G
grep -q "fstests needs: /dev/shm 4.0 GiB of 24.0 GiB free" fst2.err && grep -q "needs an fstests checkout" fst2.err \
  || { cat fst2.err; fail "fstests with 2G disks"; }

no_strays "resources"
echo ok
