#!/usr/bin/env bash
# sshd: password login only until the build key is injected; host keys made on first boot.
set -euo pipefail

: "${AGENT_FILES:?AGENT_FILES is not set (directory uploaded from packer/haskell/files)}"
dropins=/etc/ssh/sshd_config.d

# cloud-init's drop-in would keep password login on for good.
echo "sshd: removing cloud-init's sshd drop-in"
rm -f "$dropins/50-cloud-init.conf"

echo "sshd: installing the bootstrap (password on) and permanent (keys only) drop-ins"
install -d -m 0755 "$dropins"
install -m 0644 "$AGENT_FILES/sshd-password-bootstrap.conf" \
  "$dropins/05-build-agent-bootstrap.conf"
install -m 0644 "$AGENT_FILES/sshd-build-agent.conf" "$dropins/10-build-agent.conf"

echo "sshd: checking the configuration"
sshd -t

echo "sshd: installing lock-password-login and its units"
install -m 0755 "$AGENT_FILES/lock-password-login" /usr/local/sbin/lock-password-login
for unit in lock-password-login.service lock-password-login.path ssh-host-keys.service; do
  install -m 0644 "$AGENT_FILES/$unit" "/etc/systemd/system/$unit"
done
systemctl daemon-reload
systemctl enable lock-password-login.path lock-password-login.service ssh-host-keys.service
echo "sshd: done"
