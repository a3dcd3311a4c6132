# Real TCG boots: each device type appears in the guest with two disks; the
# QEMU command line, console log and vm.json are kept; nothing strays.
. "$(dirname "$0")/lib.sh"
require_vm
kernel=$(test_kernel)
image=$(test_image)

for dev in virtio-blk nvme pmem; do
  case $dev in
    virtio-blk) want="vdb vdc" ;;
    nvme) want="nvme0n1 nvme1n1" ;;
    pmem) want="pmem0 pmem1" ;;
  esac
  "$IOLAB" vm run --kernel "$kernel" --image "$image" --accel tcg --device $dev --disks 2 \
    --disk-size 256M --mem 1G --run-dir "run-$dev" -- cat /proc/partitions > parts.out
  for d in $want; do
    grep -qw "$d" parts.out || { cat parts.out; fail "$dev: /dev/$d not in the guest"; }
  done
  [ -s "run-$dev/qemu.cmdline" ] || fail "$dev: no saved QEMU command line"
  [ -s "run-$dev/console.log" ] || fail "$dev: no console log"
  grep -q '"accel": "tcg"' "run-$dev/vm.json" || fail "$dev: vm.json does not record the accelerator"
  grep -q "iolab-marker" "run-$dev/console.log" || fail "$dev: the marker kernel did not boot"
  note "$dev: $want"
done
no_strays devices

# auto must end up on a working accelerator by itself and say which.
"$IOLAB" vm run --kernel "$kernel" --image "$image" --disk-size 64M --mem 512M --run-dir run-auto -- true
grep -Eq '"accel": "(kvm|tcg)"' run-auto/vm.json || fail "auto recorded no accelerator"
note "auto chose $(sed -n 's/.*"accel": "\(.*\)".*/\1/p' run-auto/vm.json | head -n 1)"
echo ok
