#!/usr/bin/env bash
# Boots a lab VM inside its namespaces (network and a private mount namespace made by lab.sh):
# gives it its own /home/builder, starts its sshd, then opens the tunnel to the workstation.
#   vm-init.sh <vm-dir> <user>
set -euo pipefail

dir=$1
user=$2
home=/home/$user

mount --bind "$dir/home" "$home"
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"

# shellcheck source=/dev/null
. "$dir/tunnel.env"

# One connection, two tunnels, as the image's build agent opens them: the workstation reaches the
# VM's sshd through -R, the VM reaches the State Hub through -L.
export AUTOSSH_GATETIME=0
export AUTOSSH_POLL=10
exec runuser -u "$user" -- env HOME="$home" autossh -M 0 -N \
  -o ExitOnForwardFailure=yes \
  -o ServerAliveInterval=2 \
  -o ServerAliveCountMax=2 \
  -o StrictHostKeyChecking=yes \
  -o UserKnownHostsFile="$home/.ssh/known_hosts" \
  -o BatchMode=yes \
  -i "$home/.ssh/id_build" \
  -R "$TUNNEL_PORT:localhost:22" \
  -L 18000:localhost:8000 \
  "$RELAY_USER@$RELAY_HOST"
