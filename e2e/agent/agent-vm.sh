#!/usr/bin/env bash
# A build machine for the agent's lab tests: a namespace host on the lab's switch with a real
# sshd, where packer/haskell/files/build-agent runs as user `builder` exactly as on a VM, with
# only its paths moved by environment variables. The lab's own VMs run a plain autossh tunnel;
# this host runs none until the test starts the agent, so the test controls the tunnel.
#
#   agent-vm.sh up NAME INDEX PORT   make host bm-ID-NAME at 198.18.S.(40+INDEX) and its files
#                                    (env file naming tunnel port PORT); prints its folder
#   agent-vm.sh sshd NAME            run its sshd in the foreground (the test owns the process)
#   agent-vm.sh agent NAME [VAR=value...]
#                                    run build-agent in the foreground; extra BUILD_AGENT_*
#                                    settings go into its environment
#   agent-vm.sh down NAME            stop everything in the host and delete it
#
# Needs BM_LAB_ID and BM_LAB_DIR (exported by e2e/lab/with-lab.sh). Daemons started here get
# SIGTERM when the process that started them dies (setpriv --pdeathsig), so a crashed test
# leaves nothing running.
set -euo pipefail

AGENT_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$AGENT_HERE/../lab/lab.sh"
AGENT=$(cd "$AGENT_HERE/../.." && pwd)/packer/haskell/files/build-agent

LAB_ID=${BM_LAB_ID:?agent-vm.sh runs inside a lab: start it with e2e/lab/with-lab.sh}
LAB_DIR=${BM_LAB_DIR:?agent-vm.sh runs inside a lab: start it with e2e/lab/with-lab.sh}

check_name() {
  [[ "$1" =~ ^[a-z][a-z0-9]{0,5}$ ]] || die "host name '$1' must be 1-6 lower-case letters/digits"
}

host_dir() { echo "$LAB_DIR/agent-$1"; }

up() {
  local name=$1 index=$2 port=$3
  check_name "$name"
  [[ "$index" =~ ^[1-9]$ ]] || die "INDEX takes 1 to 9"
  [[ "$port" =~ ^122(2[1-9]|30)$ ]] || die "PORT must be in the port registry range 12221-12230"
  local dir slot
  dir=$(host_dir "$name")
  slot=$(cat "$LAB_DIR/slot")
  [ ! -e "$dir" ] || die "$dir exists: run agent-vm.sh down $name first"

  mkdir -p "$dir/state"
  chmod 711 "$dir"
  ip netns add "$(ns "$name")"
  link_to_switch "$name" "198.18.$slot.$((40 + index))"

  # sshd reads the absolute AuthorizedKeysFile as the logging-in user: 0644 in a 0711 folder.
  write_sshd_config "$dir" "$dir/authorized_keys"
  cp "$LAB_DIR/id_build.pub" "$dir/authorized_keys"
  chmod 644 "$dir/authorized_keys"

  # The VM side of the build key, as scripts/inject-keys.sh installs it.
  install -m 600 -o "$VM_USER" -g "$VM_USER" "$LAB_DIR/id_build" "$dir/id_build"
  chown "$VM_USER:" "$dir/state"
  cat >"$dir/build-agent.env" <<ENV
# Written by e2e/agent/agent-vm.sh for host $name of lab $LAB_ID.
SSH_RELAY_HOST=$(sed -n 's/^BM_LAB_WS_ADDRESS=//p' "$LAB_DIR/lab.env")
SSH_RELAY_USER=$RELAY_USER
SSH_RELAY_PORT=22
TUNNEL_PORT=$port
STATE_HUB_PORT=8000
VM_NAME=lab-$name
RELAY_HOST_KEY="$(cat "$LAB_DIR/ws/ssh_host_ed25519_key.pub")"
BUILD_KEY=$dir/id_build
ENV
  chmod 644 "$dir/build-agent.env"
  echo "$dir"
}

run_sshd() {
  local name=$1 dir
  dir=$(host_dir "$name")
  mkdir -p /run/sshd
  exec ip netns exec "$(ns "$name")" setpriv --pdeathsig TERM \
    /usr/sbin/sshd -D -f "$dir/sshd_config" -E "$dir/sshd.log"
}

run_agent() {
  local name=$1 dir
  shift
  dir=$(host_dir "$name")
  local setting
  for setting in "$@"; do
    [[ "$setting" =~ ^BUILD_AGENT_[A-Z_]+=[A-Za-z0-9_./-]*$ ]] ||
      die "agent settings are BUILD_AGENT_NAME=value, not '$setting'"
  done
  # A clean environment like systemd's; HOME is the builder's real home, the state folder
  # and known_hosts live in the host's folder instead of /var/lib/build-agent.
  exec ip netns exec "$(ns "$name")" setpriv --reuid "$VM_USER" --regid "$VM_USER" \
    --init-groups --pdeathsig TERM \
    env -i HOME="/home/$VM_USER" USER="$VM_USER" LANG=C.UTF-8 \
    PATH=/usr/local/bin:/usr/bin:/bin \
    BUILD_AGENT_ENV_FILE="$dir/build-agent.env" \
    BUILD_AGENT_STATE_DIR="$dir/state" \
    "$@" \
    "$AGENT"
}

host_down() {
  local name=$1
  check_name "$name"
  kill_namespace "$(ns "$name")"
  rm -rf "$(host_dir "$name")"
}

case ${1:-} in
  up) [ $# -eq 4 ] || die "usage: agent-vm.sh up NAME INDEX PORT"; up "$2" "$3" "$4" ;;
  sshd) [ $# -eq 2 ] || die "usage: agent-vm.sh sshd NAME"; check_name "$2"; run_sshd "$2" ;;
  agent) [ $# -ge 2 ] || die "usage: agent-vm.sh agent NAME [BUILD_AGENT_X=v...]"
    check_name "$2"; run_agent "${@:2}" ;;
  down) [ $# -eq 2 ] || die "usage: agent-vm.sh down NAME"; host_down "$2" ;;
  *) die "usage: agent-vm.sh up|sshd|agent|down NAME ..." ;;
esac
