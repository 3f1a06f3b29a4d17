#!/usr/bin/env bash
# Runs a command on the workstation host of a fresh lab, then tears the lab down whatever
# happens (exit, failure, Ctrl-C):
#   e2e/lab/with-lab.sh [--vms N] -- <command> [args...]
# The command sees the lab's env file exported (BM_REGISTRY, BM_CONFIG_DIR, BM_BUILD_KEY...).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vms=1
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
    --vms) vms=$2; shift 2 ;;
    *) echo "with-lab: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "${1:-}" = "--" ] || { echo "usage: with-lab.sh [--vms N] -- command..." >&2; exit 2; }
shift

id=w$(printf '%x' "$$")
cleanup() { bash "$HERE/lab.sh" down --id "$id" || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

env_file=$(bash "$HERE/lab.sh" up --id "$id" --vms "$vms")
set -a
# shellcheck source=/dev/null
. "$env_file"
set +a

ip netns exec "$BM_LAB_WS_NS" "$@"
