#!/usr/bin/env bash
# Falco itself beside `osprey run` in one VM boot, both with Falco's stable
# rules 3.2.0 (the rules Falco 0.40.0 pins) and nothing else: `dd bs=500`
# against module-absent, the consumer's CPU seconds per million captured
# syscalls (at a rate both keep up with), and the highest zero-drop rate of
# the same generator (bench/rate-search.guest.sh; Falco's drops counted from
# its own per-second drop alerts). Builds Falco once (scripts/setup-falco-engine.sh,
# about 12 minutes) and its driver (scripts/setup-falco.sh).
#
#   scripts/bench-falco.sh [ROUNDS [STEP_S [HOLD_S [CPU_RATE]]]]
source "$(dirname "$0")/lib.sh"
"$REPO/scripts/setup-falco-engine.sh"
falco_driver
engine=$OSPREY_CACHE/falco-engine
bench_dir
cp "$engine/falco_rules.yaml" "$bench_out/falco_rules-3.2.0.yaml"
bench_vm --no-module "ROUNDS=${1:-3} STEP_S=${2:-10} HOLD_S=${3:-60} CPU_RATE=${4:-10000}" falco-engine "${falco_files[@]}" \
  --file "$engine/falco" --file "$engine/libs.tar" --file "$engine/falco.yaml" \
  --file "$bench_out/falco_rules-3.2.0.yaml" --file "$REPO/vm-tests/falco_start.sh"
python3 - "$bench_out/stderr" <<'PY'
import statistics, sys
dd, cpu, steps = {}, {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[:1] == ["dd"] and len(f) == 3:
        dd.setdefault(f[1], []).append(float(f[2]))
    elif f[:1] == ["cpu"] and len(f) == 6:
        cpu[f[1]] = (int(f[2]) / int(f[3]) / int(f[4]) * 1e6, int(f[5]))
    elif f[:1] in (["rate"], ["hold"]) and len(f) == 5:
        steps.setdefault(f[1], []).append((f[0], int(f[3]), int(f[4])))
med = {k: statistics.median(v) for k, v in dd.items()}
print(f"dd bs=500, median of {len(dd['absent'])} rounds: absent {med['absent']:.0f} ns/block, "
      f"osprey run {med['osprey']:.0f} ({med['osprey'] / med['absent']:.2f}x), "
      f"falco {med['falco']:.0f} ({med['falco'] / med['absent']:.2f}x)")
added = lambda k: med[k] - med["absent"]
if added("falco") > 0:
    print(f"  Osprey / Falco, time dd's blocks gain: {added('osprey') / added('falco'):.2f}")
print(f"CPU seconds per million captured syscalls: osprey run {cpu['osprey'][0]:.2f} ({cpu['osprey'][1]} dropped), "
      f"falco {cpu['falco'][0]:.2f} ({cpu['falco'][1]} dropped), Osprey / Falco {cpu['osprey'][0] / cpu['falco'][0]:.2f}")
best = {}
for mode, rows in steps.items():
    held = [achieved for kind, achieved, lost in rows if kind == "hold" and lost == 0]
    stepped = [achieved for kind, achieved, lost in rows if kind == "rate" and lost == 0]
    best[mode] = max(held, default=0)
    print(f"{mode}: highest clean step {max(stepped, default=0)} events/s; sustained with zero drops "
          f"{best[mode]} events/s" + ("" if held else " (no hold without drops)"))
if best.get("falco"):
    print(f"  Osprey / Falco, sustained zero-drop rate: {best['osprey'] / best['falco']:.2f}")
PY
