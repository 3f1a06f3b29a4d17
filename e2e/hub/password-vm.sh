#!/usr/bin/env bash
# A lab VM as a freshly imported image is: sshd accepts builder's temporary password (the
# image's bootstrap drop-in), no keys, no /etc/build-agent.env, no tunnel yet. The VM gets its
# own /etc and /usr/local (overlays in a private mount namespace), so the image's files from
# packer/haskell/files are installed where the image has them without touching this machine.
#
#   password-vm.sh up <K>     (password on stdin) prints "<vm-ip>"; VM bm-<lab>-vmK
#   password-vm.sh down <K>   removes the password, stops the VM, deletes its files
#
# Needs the lab's env (BM_LAB_ID, BM_LAB_DIR) and runs as root outside the lab namespaces.
# systemd does not run in a namespace, so two lab helpers stand in for its units:
# lab-restart-build-agent (build-agent.service: the real agent, restarted when it exits) and
# lab-lock-password-login (the real lock-password-login, then sshd reloaded).
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FILES=$(cd "$SELF_DIR/../../packer/haskell/files" && pwd)
# shellcheck source=/dev/null
. "$SELF_DIR/../lab/lab.sh"

: "${BM_LAB_ID:?run inside a lab (BM_LAB_ID is not set)}"
: "${BM_LAB_DIR:?run inside a lab (BM_LAB_DIR is not set)}"
# shellcheck disable=SC2034 # read by the functions of lab.sh
LAB_ID=$BM_LAB_ID
LAB_DIR=$BM_LAB_DIR

command=${1:-}
index=${2:-}
[[ "$index" =~ ^[1-9]$ ]] || die "usage: password-vm.sh up|down <1-9>"
name=vm$index
dir=$LAB_DIR/pw-$name

write_helpers() {
  local sbin=$1
  cat >"$sbin/lab-restart-build-agent" <<HELPER
#!/usr/bin/env bash
# Lab stand-in for 'systemctl restart build-agent.service' (Restart=always, bounded here).
set -euo pipefail
if [ -f $dir/agent.pid ]; then
  kill -TERM -- "-\$(cat $dir/agent.pid)" 2>/dev/null || true
fi
install -d -o $VM_USER -m 0700 $dir/agent-state
setsid bash -c 'for _ in \$(seq 1 30); do
  runuser -u $VM_USER -- env HOME=/home/$VM_USER PATH=/usr/local/bin:/usr/bin:/bin \\
    BUILD_AGENT_STATE_DIR=$dir/agent-state BUILD_AGENT_HEARTBEAT_INTERVAL=2 \\
    BUILD_AGENT_RETRY_MAX_DELAY=2 /usr/local/bin/build-agent || true
  sleep 1
done' >>$dir/agent.log 2>&1 </dev/null &
echo \$! >$dir/agent.pid
HELPER
  cat >"$sbin/lab-lock-password-login" <<HELPER
#!/usr/bin/env bash
# Lab stand-in for lock-password-login.path: the real script, then sshd reloaded as systemd would.
set -euo pipefail
/usr/local/sbin/lock-password-login
kill -HUP "\$(cat $dir/sshd.pid)"
HELPER
  chmod 0755 "$sbin/lab-restart-build-agent" "$sbin/lab-lock-password-login"
}

# Runs inside the VM's namespaces: its /etc and /usr/local are overlays from here on.
boot() {
  local layer
  for layer in etc usrlocal; do mkdir -p "$dir/$layer-upper" "$dir/$layer-work"; done
  mount -t overlay overlay -o "lowerdir=/etc,upperdir=$dir/etc-upper,workdir=$dir/etc-work" /etc
  mount -t overlay overlay \
    -o "lowerdir=/usr/local,upperdir=$dir/usrlocal-upper,workdir=$dir/usrlocal-work" /usr/local
  mount --bind "$dir/home" "/home/$VM_USER"

  # The image's sshd drop-ins, agent and password lock, as 40-sshd.sh and 30-build-agent.sh
  # install them.
  install -d -m 0755 /etc/ssh/sshd_config.d /usr/local/sbin /usr/local/bin /etc/sudoers.d
  rm -f /etc/ssh/sshd_config.d/*.conf
  install -m 0644 "$FILES/sshd-password-bootstrap.conf" \
    /etc/ssh/sshd_config.d/05-build-agent-bootstrap.conf
  install -m 0644 "$FILES/sshd-build-agent.conf" /etc/ssh/sshd_config.d/10-build-agent.conf
  install -m 0755 "$FILES/lock-password-login" /usr/local/sbin/lock-password-login
  install -m 0755 "$FILES/build-agent" /usr/local/bin/build-agent
  echo "$VM_USER ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/90-builder
  chmod 0440 /etc/sudoers.d/90-builder
  write_helpers /usr/local/sbin

  # The lab-only password, in this VM's /etc/shadow only.
  chpasswd <<<"$VM_USER:$PASSWORD"

  cat >"$dir/sshd_config" <<CONF
Include /etc/ssh/sshd_config.d/*.conf
Port 22
ListenAddress 0.0.0.0
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
UsePAM no
StrictModes no
AllowTcpForwarding yes
LogLevel VERBOSE
Subsystem sftp internal-sftp
CONF
  /usr/sbin/sshd -t -f "$dir/sshd_config"
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
}

up() {
  require_root
  [ -z "$(ip netns list | grep "^$(ns "$name")\b" || true)" ] || die "$(ns "$name") exists already"
  IFS= read -r PASSWORD || die "give the lab password on stdin"
  export PASSWORD
  local slot
  slot=$(cat "$LAB_DIR/slot")
  rm -rf "$dir"
  mkdir -p "$dir/home"
  chown "$VM_USER:" "$dir/home"
  ssh-keygen -q -t ed25519 -N '' -C "lab-host-key" -f "$dir/ssh_host_ed25519_key"
  ip netns add "$(ns "$name")"
  link_to_switch "$name" "198.18.$slot.$((10 + index))"
  in_ns "$name" unshare --mount --propagation private \
    env PASSWORD="$PASSWORD" bash "$SELF_DIR/password-vm.sh" boot "$index"
  echo "198.18.$slot.$((10 + index))"
}

down() {
  require_root
  if ip netns list | grep -q "^$(ns "$name")\b"; then
    local pid
    pid=$(cat "$dir/sshd.pid" 2>/dev/null || true)
    # The password lives in the VM's own /etc; clear it there before the VM goes.
    if [ -n "$pid" ]; then
      nsenter -t "$pid" -m -n usermod -p '*' "$VM_USER" 2>/dev/null || true
    fi
    kill_namespace "$(ns "$name")"
  fi
  rm -rf "$dir"
}

case $command in
  up) up ;;
  down) down ;;
  boot) boot ;;
  *) die "usage: password-vm.sh up|down <1-9>" ;;
esac
