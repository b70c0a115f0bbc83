#!/usr/bin/env bash
# Osprey's main job on a machine whose kernel has no Rust support: provision
# and build (first run only), then boot Debian's stock kernel in QEMU with the
# module loaded and the consumer attached, run WORKLOAD (default: a short
# demo), and stream the live events to this terminal.
#
#   scripts/run.sh [WORKLOAD.sh]
source "$(dirname "$0")/lib.sh"
workload=${1:-$REPO/scripts/demo-workload.sh}
"$REPO/scripts/setup.sh"
"$REPO/scripts/build.sh"
exec "$REPO/scripts/vm-run.sh" --live --capture \
  --consumer-args "--syscalls execve,openat,connect,fchmodat,unshare,procexit" "$workload"
