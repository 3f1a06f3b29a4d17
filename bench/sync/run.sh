#!/usr/bin/env bash
# Sync benchmark: brings up a lab of its own, runs bench/sync/sync-bench.ts inside the lab's
# workstation namespace (where the VM's sshd answers on 127.0.0.1:12222), and always takes the
# lab down again. Needs root (network namespaces). Prints figures; exits 0 whether or not the
# targets are met, non-zero only when it could not measure.
#
#   bench/sync/run.sh [--runs N]      (lab id: BM_BENCH_LAB_ID, default "bench")
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_ID=${BM_BENCH_LAB_ID:-bench}
# The whole run, lab included; the benchmark's own watchdog fires first.
RUN_TIMEOUT=20m

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
[[ "$LAB_ID" =~ ^[a-z0-9]{1,8}$ ]] || { echo "bench: BM_BENCH_LAB_ID: 1-8 [a-z0-9]" >&2; exit 1; }
[ "$LAB_ID" != t1 ] || { echo "bench: lab t1 is the e2e tests' lab; use another" >&2; exit 1; }

teardown() {
  bash "$ROOT/e2e/lab/lab.sh" down --id "$LAB_ID" >/dev/null 2>&1 || true
}
trap teardown EXIT
trap 'exit 130' INT TERM

env_file=$(bash "$ROOT/e2e/lab/lab.sh" up --id "$LAB_ID")
set -a
# shellcheck source=/dev/null
. "$env_file"
set +a

cd "$ROOT"
timeout --kill-after=10s "$RUN_TIMEOUT" \
  ip netns exec "$BM_LAB_WS_NS" npx tsx bench/sync/sync-bench.ts "$@"
