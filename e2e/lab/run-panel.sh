#!/usr/bin/env bash
# `make lab`: a lab with one VM, and the panel in browser mode on its workstation, reachable from
# this machine's browser at http://127.0.0.1:<port>/?token=... Ctrl-C stops it all.
#   run-panel.sh <port>
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
port=${1:-8420}
# BM_PANEL_LAB_ID lets a second `make lab` (or a check of this script) use a lab of its own.
id=${BM_PANEL_LAB_ID:-dev}
pids=()
# Node with tsx as a loader: one process per program, so cleanup's kill reaches the program
# itself (npx and the tsx CLI would each leave a child behind).
tsnode=(node --import "file://$ROOT/node_modules/tsx/dist/loader.mjs")

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  bash "$HERE/lab.sh" down --id "$id" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

env_file=$(bash "$HERE/lab.sh" up --id "$id")
set -a
# shellcheck source=/dev/null
. "$env_file"
set +a

# The lab's VirtualBox: the panel's "This computer" host runs the lab VBoxManage, whose VMs come
# up as lab hosts on this lab's switch.
export FAKE_VBOX_HOME=$BM_LAB_DIR/fake-vbox
export BM_VBOXMANAGE=$HERE/fake-vbox/VBoxManage
mkdir -p "$FAKE_VBOX_HOME"
printf 'LAB_ID=%s\nLAB_DIR=%s\nREGISTRY=%s\n' "$id" "$BM_LAB_DIR" "$BM_REGISTRY" \
  >"$FAKE_VBOX_HOME/lab.env"
ova=$(cd "$ROOT" && npx --no-install tsx "$HERE/fake-vbox/tiny-ova.ts" haskell-build "$BM_LAB_DIR")

token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
socket=$BM_LAB_DIR/panel.sock

cd "$ROOT"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "lab: port $port is taken on 127.0.0.1; pick another with LAB_PORT=<port>" >&2
  exit 1
fi

BM_TOKEN=$token ip netns exec "$BM_LAB_WS_NS" "${tsnode[@]}" electron/cli/main.ts serve \
  --port "$port" --key "$BM_BUILD_KEY" >"$BM_LAB_DIR/panel.log" 2>&1 &
pids+=($!)
ip netns exec "$BM_LAB_WS_NS" "${tsnode[@]}" "$HERE/port-bridge.ts" unix-to-tcp \
  "$socket" "$port" &
pids+=($!)
"${tsnode[@]}" "$HERE/port-bridge.ts" tcp-to-unix "$port" "$socket" &
pids+=($!)

for _ in $(seq 1 100); do
  grep -q 'panel:' "$BM_LAB_DIR/panel.log" 2>/dev/null && break
  sleep 0.1
done
grep -q 'panel:' "$BM_LAB_DIR/panel.log" || { cat "$BM_LAB_DIR/panel.log" >&2; exit 1; }

echo
echo "Lab $id is up: VM lab-vm1 answers through its tunnel on the lab's workstation."
echo "Open: http://127.0.0.1:$port/?token=$token"
echo "Try the project: $ROOT/e2e/fixtures/hello (or e2e/fixtures/type-error)"
echo "VirtualBox is the lab's: import $ova under VirtualBox (any VM name), then Bridged and"
echo "  Start on its card; trust its host key on the card when asked."
echo "Panel log: $BM_LAB_DIR/panel.log. Ctrl-C stops the panel and removes the lab."
wait "${pids[0]}"
