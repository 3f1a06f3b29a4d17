# shellcheck shell=bash
# Sourced by vbox-vm.sh and vbox-host.sh (not run on its own).
#
# `ip netns exec` (the workstation where tests and the panel run) gives its programs a mount
# namespace of their own: a network namespace added from there is mounted only in that copy,
# lab.sh down cannot see it, and its processes outlive the lab. A lab script called from such a
# place runs itself again in the mount namespace of the nearest ancestor outside it (with-lab.sh,
# run-panel.sh), which is the machine's.

# reexec_in_lab_mount_namespace <script> <args...>
reexec_in_lab_mount_namespace() {
  local script=$1 mine pid=$$ theirs
  shift
  # Once moved, the process chain still crosses the workstation's namespace: do not go back.
  [ -z "${BM_LAB_MOUNT_NS_MOVED:-}" ] || return 0
  mine=$(readlink /proc/self/ns/mnt)
  # Bounded: a process chain is never deeper than a few dozen.
  for _ in $(seq 1 64); do
    pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "$pid" -gt 1 ] || return 0
    theirs=$(readlink "/proc/$pid/ns/mnt" 2>/dev/null) || return 0
    if [ "$theirs" != "$mine" ]; then
      BM_LAB_MOUNT_NS_MOVED=1 exec nsenter --mount="/proc/$pid/ns/mnt" -- bash "$script" "$@"
    fi
  done
}
