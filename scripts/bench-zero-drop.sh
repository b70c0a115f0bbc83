#!/usr/bin/env bash
# Highest sustained event rate with zero drops in the VM, under the full
# `osprey run` (Osprey's and Falco's stable rules): the rate doubles every
# STEP_S seconds (default 10) until the kernel counts a drop or the
# generator cannot keep up. TCG figures: compare only within one run.
#
#   scripts/bench-zero-drop.sh [STEP_S]
source "$(dirname "$0")/lib.sh"
bench_vm --no-consumer "STEP_S=${1:-10}" zero-drop
python3 - "$bench_out/stderr" <<'PY'
import sys
steps = [line.split()[1:] for line in open(sys.argv[1]) if line.startswith("rate ")]
print(f"{'target ev/s':>12} {'achieved ev/s':>14} {'dropped':>8}")
best = 0
for target, achieved, dropped in steps:
    print(f"{target:>12} {achieved:>14} {dropped:>8}")
    if int(dropped) == 0:
        best = max(best, int(achieved))
last = steps[-1]
why = "drops began" if int(last[2]) else "the generator's ceiling"
print(f"highest sustained rate with zero drops: {best} events/s (stopped by {why})")
PY
