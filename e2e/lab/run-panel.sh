#!/usr/bin/env bash
# `make lab`: a lab with one VM, and the panel in browser mode on its workstation, reachable from
# this machine's browser at http://127.0.0.1:<port>/?token=... Ctrl-C stops it all.
#   run-panel.sh <port>
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
port=${1:-8420}
id=dev
pids=()

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

token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
socket=$BM_LAB_DIR/panel.sock

cd "$ROOT"
BM_TOKEN=$token ip netns exec "$BM_LAB_WS_NS" npx --no-install tsx electron/cli/main.ts serve \
  --port "$port" --key "$BM_BUILD_KEY" >"$BM_LAB_DIR/panel.log" 2>&1 &
pids+=($!)
ip netns exec "$BM_LAB_WS_NS" npx --no-install tsx "$HERE/port-bridge.ts" unix-to-tcp \
  "$socket" "$port" &
pids+=($!)
npx --no-install tsx "$HERE/port-bridge.ts" tcp-to-unix "$port" "$socket" &
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
echo "Panel log: $BM_LAB_DIR/panel.log. Ctrl-C stops the panel and removes the lab."
wait "${pids[0]}"
