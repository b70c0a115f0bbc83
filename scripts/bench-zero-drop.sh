#!/usr/bin/env bash
# Highest sustained event rate with zero drops in the VM, under the full
# `osprey run` (Osprey's and Falco's stable rules): the rate doubles every
# STEP_S seconds (default 10) until the kernel counts a drop or the
# generator cannot keep up, then the highest clean rate is held for HOLD_S
# seconds (default 60; three quarters of it when that drops, up to three
# holds); with decoding on the rules thread and on a thread of
# its own, then Falco's driver (scap.ko 0.20, scripts/setup-falco.sh)
# drained by bench/falco-drain asking for every syscall, in the same boot.
# TCG figures: compare only within one run.
#
# GENERATORS processes (default 1; one per emulated CPU is 2) share the rate.
#
#   scripts/bench-zero-drop.sh [STEP_S [HOLD_S [GENERATORS]]]
source "$(dirname "$0")/lib.sh"
falco_driver
bench_vm --no-consumer "STEP_S=${1:-10} HOLD_S=${2:-60} GENERATORS=${3:-1}" zero-drop "${falco_files[@]}"
python3 - "$bench_out/stderr" <<'PY'
import sys
steps = {}
for line in open(sys.argv[1]):
    if line.startswith(("rate ", "hold ")):
        kind, mode, *row = line.split()
        steps.setdefault(mode, []).append([kind, *row])
sustained = {}
for mode, rows in steps.items():
    print("Falco's driver, drained by falco-drain (every syscall)" if mode == "falco" else f"osprey run --decode-thread {mode}")
    print(f"{'target ev/s':>12} {'achieved ev/s':>14} {'dropped':>8}")
    best = 0
    holds = []
    for kind, target, achieved, dropped in rows:
        if kind == "hold":
            holds.append((achieved, dropped))
            continue
        print(f"{target:>12} {achieved:>14} {dropped:>8}")
        if int(dropped) == 0:
            best = max(best, int(achieved))
    why = "drops began" if any(int(r[3]) for r in rows if r[0] == "rate") else "the generator's ceiling"
    print(f"highest rate with zero drops in a step: {best} events/s (stopped by {why})")
    for achieved, dropped in holds:
        print(f"held for the hold time: {achieved} events/s, {dropped} dropped")
    clean = [int(a) for a, d in holds if int(d) == 0]
    print(f"sustained with zero drops: {max(clean)} events/s\n" if clean else "no hold without drops\n")
    sustained[mode] = max(clean, default=0)
osprey = max(sustained.get("off", 0), sustained.get("on", 0))
if sustained.get("falco"):
    print(f"Osprey / Falco's driver, sustained zero-drop rate: {osprey} / {sustained['falco']} = "
          f"{osprey / sustained['falco']:.2f}")
PY
