#!/usr/bin/env bash
# Leaves nothing machine-specific or secret in the image: no keys, no SSH host keys, no
# machine-id, no logs. Runs last; the build fails if anything is left behind.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
: "${BUILD_USER:?BUILD_USER is not set}"
user_home="$(getent passwd "$BUILD_USER" | cut -d: -f6)"

echo "cleanup: removing unused packages and the apt cache"
apt-get -y -q autoremove --purge
apt-get -y -q clean
rm -rf /var/lib/apt/lists/*

# The installer's NoCloud seed must not run again in every clone; the VM's network is a plain
# DHCP netplan that matches whatever the NIC is called after import.
echo "cleanup: disabling cloud-init and writing a DHCP netplan for any en* interface"
touch /etc/cloud/cloud-init.disabled
rm -f /etc/netplan/50-cloud-init.yaml
cat >/etc/netplan/01-build-vm.yaml <<'NETPLAN'
network:
  version: 2
  ethernets:
    nics:
      match:
        name: "en*"
      dhcp4: true
NETPLAN
chmod 0600 /etc/netplan/01-build-vm.yaml

echo "cleanup: removing SSH host keys (ssh-host-keys.service makes new ones on first boot)"
rm -f /etc/ssh/ssh_host_*

echo "cleanup: removing user keys, agent settings and agent state"
rm -rf /root/.ssh "$user_home/.ssh" /var/lib/build-agent /etc/build-agent.env
rm -rf "${AGENT_FILES:-/tmp/build-agent-files}"

echo "cleanup: emptying machine-id (systemd makes a new one on first boot)"
truncate -s 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id
ln -s /etc/machine-id /var/lib/dbus/machine-id
rm -f /var/lib/systemd/random-seed

echo "cleanup: removing logs, shell history and temporary files"
journalctl --rotate >/dev/null 2>&1 || true
journalctl --vacuum-time=1s >/dev/null 2>&1 || true
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' \) -delete
find /var/log -type f -exec truncate -s 0 {} +
rm -f /root/.bash_history "$user_home/.bash_history"
rm -rf /var/tmp/* /var/cache/build-agent

# Zeroed free space compresses to almost nothing in the OVA.
echo "cleanup: zeroing free disk space (makes the OVA smaller)"
dd if=/dev/zero of=/var/tmp/zero bs=1M status=none 2>/dev/null || true
rm -f /var/tmp/zero
sync

echo "cleanup: checking that nothing secret or machine-specific is left"
leftovers=()
for path in /etc/ssh/ssh_host_* /root/.ssh "$user_home/.ssh" /etc/build-agent.env; do
  if [[ -e "$path" ]]; then
    leftovers+=("$path")
  fi
done
if [[ -s /etc/machine-id ]]; then
  leftovers+=(/etc/machine-id)
fi
if ((${#leftovers[@]} > 0)); then
  echo "cleanup: FAILED, still present: ${leftovers[*]}" >&2
  exit 1
fi
echo "cleanup: done"
