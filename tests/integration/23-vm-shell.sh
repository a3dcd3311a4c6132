# 'iolab vm shell' on a real terminal (tmux): a command typed at the guest's
# prompt runs there, and exiting the shell powers the guest off.
. "$(dirname "$0")/lib.sh"
require_vm
command -v tmux > /dev/null || skip "skipped: tmux is not installed (IOLAB_TEST_DEPS=1 scripts/install-deps)"
kernel=$(test_kernel)
image=$(test_image)
sock="$PWD/tmux.sock"
t() { tmux -S "$sock" "$@"; }
trap 't kill-server 2>/dev/null || true' EXIT
t new-session -d -s shell -x 160 -y 40 \
  "'$IOLAB' vm shell --kernel $kernel --image $image --accel tcg --disk-size 64M --mem 512M --run-dir '$PWD/run'; echo SHELL-EXIT=\$?; sleep 60"
for _ in $(seq 120); do t capture-pane -p -t shell | grep -q 'root@iolab' && break; sleep 0.5; done
t capture-pane -p -t shell | grep -q 'root@iolab' || { t capture-pane -p -t shell; fail "no guest prompt"; }
t send-keys -t shell 'echo guest-says-$((6*7)); uname -r' Enter
for _ in $(seq 40); do t capture-pane -p -t shell | grep -q 'guest-says-42' && break; sleep 0.5; done
t capture-pane -p -t shell | grep -q 'guest-says-42' || { t capture-pane -p -t shell; fail "the typed command did not run in the guest"; }
t send-keys -t shell 'exit' Enter
for _ in $(seq 40); do t capture-pane -p -t shell | grep -q 'SHELL-EXIT=' && break; sleep 0.5; done
t capture-pane -p -t shell | grep -q 'SHELL-EXIT=0' || { t capture-pane -p -t shell; fail "the shell did not end the VM cleanly"; }
no_strays shell
echo ok
