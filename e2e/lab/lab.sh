#!/usr/bin/env bash
# The lab: hosts made of network namespaces on this machine, running real OpenSSH, autossh and
# GHC, so the panel reaches a "VM" exactly as it reaches a real one: through the VM's reverse
# tunnel on the workstation's localhost.
#
#   lab.sh up [--id ID] [--vms N]   make (or keep) lab ID and print the path of its env file
#   lab.sh down --id ID             kill every process of the lab, delete its namespaces and files
#   lab.sh down-all                 the same for every lab on this machine
#   lab.sh status --id ID           the lab's hosts and whether each tunnel answers
#
# Hosts per lab (ID is short, letters and digits):
#   bm-ID-sw    the switch: a bridge joining the hosts; no address, no route anywhere else
#   bm-ID-ws    the workstation, 198.18.S.1: sshd (the relay the VMs connect to), the panel
#   bm-ID-vmK   build machine K, 198.18.S.(10+K): sshd with user `builder`, GHC, cabal, and an
#               autossh tunnel -R <port>:localhost:22 -L 18000:localhost:8000 to the workstation
# S is a slot from 1 to 250 taken atomically, so labs running at once never share addresses.
# Addresses are from 198.18.0.0/15 (reserved for tests); the lab has no route or NAT out.
set -euo pipefail

LAB_ROOT=${BM_LAB_ROOT:-/tmp/bm-lab}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIRST_PORT=12221
VM_USER=builder
RELAY_USER=bm-relay

die() {
  echo "lab: $*" >&2
  exit 1
}

log() {
  echo "lab[$LAB_ID]: $*" >&2
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "the lab needs root (network namespaces); run it with sudo"
  local tool
  for tool in ip sshd ssh autossh ssh-keygen unshare runuser ghc cabal; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
      die "$tool is missing; install the lab's packages: make lab-deps"
  done
}

ns() { echo "bm-$LAB_ID-$1"; }

in_ns() {
  local host=$1
  shift
  ip netns exec "$(ns "$host")" "$@"
}

ensure_user() {
  local user=$1 home=$2
  if ! id -u "$user" >/dev/null 2>&1; then
    useradd --no-create-home --home-dir "$home" --shell /bin/bash "$user"
  fi
  # A '!' password locks the account and sshd then refuses even key logins; '*' only means
  # "no password".
  usermod -p '*' "$user"
}

take_slot() {
  mkdir -p "$LAB_ROOT/slots"
  local slot
  for slot in $(seq 1 250); do
    if mkdir "$LAB_ROOT/slots/$slot" 2>/dev/null; then
      echo "$LAB_ID" >"$LAB_ROOT/slots/$slot/owner"
      echo "$slot"
      return 0
    fi
  done
  die "all 250 lab slots are taken; run: e2e/lab/lab.sh down-all"
}

link_to_switch() {
  local host=$1 address=$2
  ip link add eth0 netns "$(ns "$host")" type veth peer name "p-$host" netns "$(ns sw)"
  in_ns sw ip link set "p-$host" master br0 up
  in_ns "$host" ip link set lo up
  in_ns "$host" ip addr add "$address/24" dev eth0
  in_ns "$host" ip link set eth0 up
}

write_sshd_config() {
  local dir=$1 authorized=$2
  cat >"$dir/sshd_config" <<EOF
Port 22
ListenAddress 0.0.0.0
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $authorized
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
StrictModes no
AllowTcpForwarding yes
GatewayPorts no
ClientAliveInterval 2
ClientAliveCountMax 2
LogLevel VERBOSE
Subsystem sftp internal-sftp
EOF
  ssh-keygen -q -t ed25519 -N '' -C "lab-host-key" -f "$dir/ssh_host_ed25519_key"
}

start_workstation() {
  local dir=$LAB_DIR/ws
  mkdir -p "$dir/authorized_keys"
  chmod 711 "$dir"
  write_sshd_config "$dir" "$dir/authorized_keys/%u"
  cp "$LAB_DIR/id_build.pub" "$dir/authorized_keys/$RELAY_USER"
  chmod 644 "$dir/authorized_keys/$RELAY_USER"
  mkdir -p /run/sshd
  in_ns ws /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
}

start_vm() {
  local index=$1
  local name=vm$index dir=$LAB_DIR/vm$index
  local port=$((FIRST_PORT + index))
  mkdir -p "$dir/home/.ssh" "$dir/home/.cabal" "$dir/home/builds"

  write_sshd_config "$dir" ".ssh/authorized_keys"
  cp "$LAB_DIR/id_build.pub" "$dir/home/.ssh/authorized_keys"
  cp "$LAB_DIR/id_build" "$dir/home/.ssh/id_build"
  echo "$WS_ADDRESS $(cut -d' ' -f1-2 "$LAB_DIR/ws/ssh_host_ed25519_key.pub")" \
    >"$dir/home/.ssh/known_hosts"
  # cabal works offline when its config names no package repository.
  HOME=$dir/home cabal user-config init >/dev/null 2>&1 || true
  sed -i '/^repository /,/^$/d' "$dir/home/.cabal/config"
  chown -R "$VM_USER:" "$dir/home"
  chmod 700 "$dir/home/.ssh"
  chmod 600 "$dir/home/.ssh/id_build" "$dir/home/.ssh/authorized_keys"

  cat >"$dir/tunnel.env" <<EOF
RELAY_HOST=$WS_ADDRESS
RELAY_USER=$RELAY_USER
TUNNEL_PORT=$port
EOF
  in_ns "$name" unshare --mount --propagation private \
    "$HERE/vm-init.sh" "$dir" "$VM_USER" >"$dir/init.log" 2>&1 &
  echo "$name $port" >>"$LAB_DIR/vms"
}

wait_for_tunnel() {
  local port=$1 tries=0
  # Bounded: 30 s at most, then the lab reports what it saw.
  until in_ns ws bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -ge 150 ]; then
      log "tunnel port $port never answered; VM log follows"
      cat "$LAB_DIR"/vm*/init.log >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

write_env() {
  local registry=$LAB_DIR/port-registry.yml config=$LAB_DIR/panel/config
  mkdir -p "$config" "$LAB_DIR/panel/state"
  {
    echo "# Written by the lab: the VMs of lab $LAB_ID and their tunnel ports."
    echo "machines:"
  } >"$registry"
  : >"$config/known_hosts"
  local name port vm_name
  while read -r name port; do
    vm_name=lab-$name
    printf '  - name: %s\n    port: %s\n    user: %s\n' "$vm_name" "$port" "$VM_USER" >>"$registry"
    echo "$vm_name $(cut -d' ' -f1-2 "$LAB_DIR/$name/ssh_host_ed25519_key.pub")" \
      >>"$config/known_hosts"
  done <"$LAB_DIR/vms"
  chmod 600 "$config/known_hosts"

  cat >"$LAB_DIR/lab.env" <<EOF
BM_LAB_ID=$LAB_ID
BM_LAB_DIR=$LAB_DIR
BM_LAB_WS_NS=$(ns ws)
BM_LAB_WS_ADDRESS=$WS_ADDRESS
BM_REGISTRY=$registry
BM_CONFIG_DIR=$config
BM_STATE_DIR=$LAB_DIR/panel/state
BM_BUILD_KEY=$LAB_DIR/id_build
EOF
}

up() {
  require_root
  LAB_DIR=$LAB_ROOT/$LAB_ID
  if [ -f "$LAB_DIR/lab.env" ] && ip netns list 2>/dev/null | grep -q "^$(ns ws)\b"; then
    log "already up"
    echo "$LAB_DIR/lab.env"
    return 0
  fi
  down_quietly

  mkdir -p "$LAB_DIR"
  # sshd reads authorized_keys as the logging-in user: the folders must be traversable (not
  # listable); private keys inside stay 0600.
  chmod 711 "$LAB_ROOT" "$LAB_DIR"
  SLOT=$(take_slot)
  echo "$SLOT" >"$LAB_DIR/slot"
  WS_ADDRESS=198.18.$SLOT.1
  : >"$LAB_DIR/vms"

  ensure_user "$VM_USER" "/home/$VM_USER"
  ensure_user "$RELAY_USER" /nonexistent
  mkdir -p "/home/$VM_USER"
  ssh-keygen -q -t ed25519 -N '' -C build-agent -f "$LAB_DIR/id_build"

  ip netns add "$(ns sw)"
  in_ns sw ip link add br0 type bridge
  in_ns sw ip link set br0 up
  in_ns sw ip link set lo up

  ip netns add "$(ns ws)"
  link_to_switch ws "$WS_ADDRESS"
  start_workstation

  local index
  for index in $(seq 1 "$VM_COUNT"); do
    ip netns add "$(ns "vm$index")"
    link_to_switch "vm$index" "198.18.$SLOT.$((10 + index))"
    start_vm "$index"
  done

  local port
  while read -r _ port; do
    if ! wait_for_tunnel "$port"; then
      down_quietly
      die "lab $LAB_ID did not come up (see the log above); nothing was left behind"
    fi
  done <"$LAB_DIR/vms"
  write_env
  log "up: workstation $WS_ADDRESS, $VM_COUNT VM(s), env $LAB_DIR/lab.env"
  echo "$LAB_DIR/lab.env"
}

kill_namespace() {
  local name=$1 pids
  pids=$(ip netns pids "$name" 2>/dev/null || true)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086 # one argument per PID
    kill -TERM $pids 2>/dev/null || true
    sleep 0.3
    pids=$(ip netns pids "$name" 2>/dev/null || true)
    # shellcheck disable=SC2086 # one argument per PID
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  fi
  ip netns del "$name" 2>/dev/null || true
}

down_quietly() {
  local name
  for name in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^bm-$LAB_ID-" || true); do
    kill_namespace "$name"
  done
  local dir=$LAB_ROOT/$LAB_ID
  if [ -f "$dir/slot" ]; then rm -rf "$LAB_ROOT/slots/$(cat "$dir/slot")"; fi
  rm -rf "$dir"
}

down() {
  require_root
  down_quietly
  log "down"
}

down_all() {
  require_root
  local id
  local ids
  ids=$(ip netns list 2>/dev/null | awk '{print $1}' | sed -n 's/^bm-\([a-z0-9]*\)-.*/\1/p')
  for id in $(echo "$ids" | sort -u); do
    LAB_ID=$id down
  done
  rm -rf "$LAB_ROOT"
}

status() {
  LAB_DIR=$LAB_ROOT/$LAB_ID
  [ -f "$LAB_DIR/vms" ] || die "lab $LAB_ID is not up"
  local name port
  while read -r name port; do
    if in_ns ws bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      echo "$name tunnel port $port: listening"
    else
      echo "$name tunnel port $port: DOWN"
    fi
  done <"$LAB_DIR/vms"
}

main() {
  COMMAND=${1:-}
  shift || true
  LAB_ID=${BM_LAB_ID:-}
  VM_COUNT=1
  while [ $# -gt 0 ]; do
    case $1 in
      --id) LAB_ID=$2; shift 2 ;;
      --vms) VM_COUNT=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ "$VM_COUNT" =~ ^[1-9]$ ]] || die "--vms takes 1 to 9"

  case $COMMAND in
    up)
      LAB_ID=${LAB_ID:-$(printf '%x' "$$")}
      [[ "$LAB_ID" =~ ^[a-z0-9]{1,8}$ ]] || die "--id takes 1 to 8 lower-case letters or digits"
      up
      ;;
    down | status)
      [[ "$LAB_ID" =~ ^[a-z0-9]{1,8}$ ]] || die "--id takes 1 to 8 lower-case letters or digits"
      "$COMMAND"
      ;;
    down-all) down_all ;;
    *) die "usage: lab.sh up|down|down-all|status [--id ID] [--vms N]" ;;
  esac
}

# Other lab scripts source this file for its functions; only a direct run acts.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
