#!/usr/bin/env bash
# The build agent: the script, its systemd unit and the settings template.
set -euo pipefail

: "${AGENT_FILES:?AGENT_FILES is not set (directory uploaded from packer/haskell/files)}"

echo "build-agent: checking the agent script"
bash -n "$AGENT_FILES/build-agent"

echo "build-agent: installing /usr/local/bin/build-agent and build-agent.service"
install -m 0755 "$AGENT_FILES/build-agent" /usr/local/bin/build-agent
install -m 0644 "$AGENT_FILES/build-agent.service" /etc/systemd/system/build-agent.service
install -d -m 0755 /usr/share/doc/build-agent
install -m 0644 "$AGENT_FILES/build-agent.env.template" \
  /usr/share/doc/build-agent/build-agent.env.template

# Until credentials are injected the agent exits at once and systemd retries every 15 s, so
# it comes up by itself once /etc/build-agent.env appears.
echo "build-agent: enabling build-agent.service"
systemctl daemon-reload
systemctl enable build-agent.service
echo "build-agent: done"
