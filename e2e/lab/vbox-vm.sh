#!/usr/bin/env bash
# A VM of the lab's VirtualBox (fake-vbox/VBoxManage) as a lab host: a network namespace on the
# lab's switch with the VM's MAC, sshd with the image's host key, the builder user with a home
# that lives with the VM, and the build agent's reverse tunnel on the VM's registry port.
#   vbox-vm.sh up <lab-id> <run-dir> <index> <mac> <host-key> <port|->   prints the guest IP
#   vbox-vm.sh down <lab-id> <index>
# BM_LAB_DIR names the lab's folder. Hosts are bm-<lab-id>-fv<index> at 198.18.S.(100+index).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lab.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source-path=SCRIPTDIR source=vbox-mount-ns.sh
. "$(dirname "${BASH_SOURCE[0]}")/vbox-mount-ns.sh"
reexec_in_lab_mount_namespace "$(readlink -f "${BASH_SOURCE[0]}")" "$@"

vm_up() {
  local run=$1 index=$2 mac=$3 host_key=$4 port=$5
  local host=fv$index slot ws_address
  LAB_DIR=${BM_LAB_DIR:?BM_LAB_DIR names the lab folder}
  slot=$(cat "$LAB_DIR/slot")
  ws_address=$(sed -n 's/^BM_LAB_WS_ADDRESS=//p' "$LAB_DIR/lab.env")
  [ -n "$ws_address" ] || die "the lab's env file names no workstation address"
  local address=198.18.$slot.$((100 + index))

  # A namespace left by a VM that was killed without power off is removed first.
  kill_namespace "$(ns "$host")"
  ip netns add "$(ns "$host")"
  link_to_switch "$host" "$address"
  # 0800271A4565 -> 08:00:27:1a:45:65
  in_ns "$host" ip link set eth0 address "$(echo "$mac" | sed 's/../&:/g; s/:$//' | tr 'A-F' 'a-f')"

  mkdir -p "$run/home/.ssh" "$run/home/.cabal" "$run/home/builds"
  rm -f "$run/sshd_config" "$run/ssh_host_ed25519_key" "$run/ssh_host_ed25519_key.pub" \
    "$run/sshd.pid"
  write_sshd_config "$run" ".ssh/authorized_keys"
  cp "$host_key" "$run/ssh_host_ed25519_key"
  cp "$host_key.pub" "$run/ssh_host_ed25519_key.pub"
  chmod 600 "$run/ssh_host_ed25519_key"

  ensure_user "$VM_USER" "/home/$VM_USER"
  mkdir -p "/home/$VM_USER"
  cp "$LAB_DIR/id_build.pub" "$run/home/.ssh/authorized_keys"
  cp "$LAB_DIR/id_build" "$run/home/.ssh/id_build"
  echo "$ws_address $(cut -d' ' -f1-2 "$LAB_DIR/ws/ssh_host_ed25519_key.pub")" \
    >"$run/home/.ssh/known_hosts"
  if [ ! -f "$run/home/.cabal/config" ]; then
    HOME=$run/home cabal user-config init >/dev/null 2>&1 || true
    sed -i '/^repository /,/^$/d' "$run/home/.cabal/config"
  fi
  chown -R "$VM_USER:" "$run/home"
  chmod 700 "$run/home/.ssh"
  chmod 600 "$run/home/.ssh/id_build" "$run/home/.ssh/authorized_keys"

  if [ "$port" = "-" ]; then
    # No registry port: the image boots, but its agent has no tunnel to open.
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    local boot='mount --bind "$1/home" "/home/$2" &&
      exec /usr/sbin/sshd -D -f "$1/sshd_config" -E "$1/sshd.log"'
    setsid ip netns exec "$(ns "$host")" unshare --mount --propagation private bash -c "$boot" \
      _ "$run" "$VM_USER" </dev/null >"$run/init.log" 2>&1 &
  else
    printf 'RELAY_HOST=%s\nRELAY_USER=%s\nTUNNEL_PORT=%s\n' "$ws_address" "$RELAY_USER" "$port" \
      >"$run/tunnel.env"
    setsid ip netns exec "$(ns "$host")" unshare --mount --propagation private \
      "$HERE/vm-init.sh" "$run" "$VM_USER" </dev/null >"$run/init.log" 2>&1 &
  fi
  echo "$address"
}

vm_main() {
  local command=${1:-}
  LAB_ID=${2:-}
  [[ "$LAB_ID" =~ ^[a-z0-9]{1,8}$ ]] || die "vbox-vm.sh: a lab id is needed"
  case $command in
    up)
      [ $# -eq 7 ] ||
        die "usage: vbox-vm.sh up <lab-id> <run-dir> <index> <mac> <host-key> <port|->"
      vm_up "$3" "$4" "$5" "$6" "$7"
      ;;
    down)
      [[ "${3:-}" =~ ^[0-9]+$ ]] || die "usage: vbox-vm.sh down <lab-id> <index>"
      kill_namespace "$(ns "fv$3")"
      ;;
    *) die "usage: vbox-vm.sh up|down <lab-id> ..." ;;
  esac
}

vm_main "$@"
