#!/usr/bin/env bash
# Osprey's main job on a machine whose kernel has no Rust support: provision
# and build (first run only), then boot Debian's stock kernel in QEMU with the
# module loaded and `osprey run` attached with Osprey's default rules, run
# WORKLOAD (default: a short demo), and stream the alerts to this terminal.
#
#   scripts/run.sh [WORKLOAD.sh]
source "$(dirname "$0")/lib.sh"
workload=${1:-$REPO/scripts/demo-workload.sh}
"$REPO/scripts/setup.sh"
"$REPO/scripts/build.sh"
exec "$REPO/scripts/vm-run.sh" --live --rules "$REPO/rules/osprey_rules.yaml" "$workload"
