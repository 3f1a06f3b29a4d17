#!/usr/bin/env bash
# A second VirtualBox host for the lab: the "laptop", a namespace on the lab's switch at
# 198.18.S.250 with its own sshd, where the lab's VBoxManage runs as root (it makes namespaces
# for the VMs it starts). Only a key made for it logs in, with no forwarding or terminal.
#   vbox-host.sh up <lab-id> <fake-vbox-home>   prints KEY=value lines for the test
#   vbox-host.sh down <lab-id>
# BM_LAB_DIR names the lab's folder.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lab.sh
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source-path=SCRIPTDIR source=vbox-mount-ns.sh
. "$(dirname "${BASH_SOURCE[0]}")/vbox-mount-ns.sh"
reexec_in_lab_mount_namespace "$(readlink -f "${BASH_SOURCE[0]}")" "$@"

host_up() {
  local home=$1 slot dir address tries=0
  LAB_DIR=${BM_LAB_DIR:?BM_LAB_DIR names the lab folder}
  [ -f "$home/lab.env" ] || die "vbox-host.sh: $home has no lab.env (the lab VirtualBox's settings)"
  slot=$(cat "$LAB_DIR/slot")
  dir=$LAB_DIR/laptop
  address=198.18.$slot.250

  host_down
  mkdir -p "$dir/authorized_keys"
  chmod 711 "$dir"
  ip netns add "$(ns laptop)"
  link_to_switch laptop "$address"

  write_sshd_config "$dir" "$dir/authorized_keys/%u"
  sed -i 's/^PermitRootLogin no$/PermitRootLogin prohibit-password/' "$dir/sshd_config"
  # The VBoxManage there keeps its VMs in this home, as VirtualBox keeps them in ~/VirtualBox VMs.
  echo "SetEnv FAKE_VBOX_HOME=$home" >>"$dir/sshd_config"
  ssh-keygen -q -t ed25519 -N '' -C vbox-host-client -f "$dir/id_vbox_host"
  echo "restrict $(cat "$dir/id_vbox_host.pub")" >"$dir/authorized_keys/root"
  chmod 644 "$dir/authorized_keys/root"
  mkdir -p /run/sshd
  # Only the network namespace is entered (not `ip netns exec`): VBoxManage run from a session
  # then adds its VMs' namespaces where lab.sh down finds them.
  nsenter --net="/run/netns/$(ns laptop)" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"

  # Bounded: 10 s at most for sshd to listen.
  until in_ns laptop bash -c 'exec 3<>/dev/tcp/127.0.0.1/22' 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || die "the laptop's sshd never listened; see $dir/sshd.log"
    sleep 0.2
  done
  echo "VBOX_HOST_ADDRESS=$address"
  echo "VBOX_HOST_USER=root"
  echo "VBOX_HOST_KEY=$dir/id_vbox_host"
  echo "VBOX_HOST_PIN=$(cut -d' ' -f1-2 "$dir/ssh_host_ed25519_key.pub")"
}

host_down() {
  kill_namespace "$(ns laptop)"
  rm -rf "${LAB_DIR:?}/laptop"
}

host_main() {
  local command=${1:-}
  LAB_ID=${2:-}
  [[ "$LAB_ID" =~ ^[a-z0-9]{1,8}$ ]] || die "vbox-host.sh: a lab id is needed"
  require_root
  case $command in
    up)
      [ $# -eq 3 ] || die "usage: vbox-host.sh up <lab-id> <fake-vbox-home>"
      host_up "$3"
      ;;
    down)
      LAB_DIR=${BM_LAB_DIR:?BM_LAB_DIR names the lab folder}
      host_down
      ;;
    *) die "usage: vbox-host.sh up|down <lab-id> ..." ;;
  esac
}

host_main "$@"
