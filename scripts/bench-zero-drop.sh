#!/usr/bin/env bash
# Highest sustained event rate with zero drops in the VM, under the full
# `osprey run` (Osprey's and Falco's stable rules): the rate doubles every
# STEP_S seconds (default 10) until the kernel counts a drop or the
# generator cannot keep up; with decoding on the rules thread and on a thread
# of its own, in the same boot. TCG figures: compare only within one run.
#
#   scripts/bench-zero-drop.sh [STEP_S]
source "$(dirname "$0")/lib.sh"
bench_vm --no-consumer "STEP_S=${1:-10}" zero-drop
python3 - "$bench_out/stderr" <<'PY'
import sys
steps = {}
for line in open(sys.argv[1]):
    if line.startswith("rate "):
        mode, *row = line.split()[1:]
        steps.setdefault(mode, []).append(row)
for mode, rows in steps.items():
    print(f"--decode-thread {mode}")
    print(f"{'target ev/s':>12} {'achieved ev/s':>14} {'dropped':>8}")
    best = 0
    for target, achieved, dropped in rows:
        print(f"{target:>12} {achieved:>14} {dropped:>8}")
        if int(dropped) == 0:
            best = max(best, int(achieved))
    why = "drops began" if any(int(r[2]) for r in rows) else "the generator's ceiling"
    print(f"highest sustained rate with zero drops: {best} events/s (stopped by {why})\n")
PY
