#!/usr/bin/env bash
# Syscall cost in the VM, one boot, every configuration measured in the same
# run: module absent / probes that return at once (probe_floor=1, the floor of
# the tracepoint mechanism) / loaded with the syscall filtered out / loaded and
# captured with a consumer draining. Under TCG only the ratios mean anything.
#
#   scripts/bench-syscalls.sh [N_PPID [N_OPEN [ROUNDS]]]
source "$(dirname "$0")/lib.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
script=$out/guest.sh
{ echo "N_PPID=${1:-300000} N_OPEN=${2:-100000} ROUNDS=${3:-3}"; cat "$REPO/bench/syscall-cost.guest.sh"; } >"$script"
"$REPO/scripts/vm-run.sh" --no-module --timeout 900 --out "$out/vm" "$script" 2>"$out/stderr" >/dev/null ||
  { cat "$out/stderr" >&2; die "benchmark VM failed"; }
python3 - "$out/stderr" <<'PY'
import json, sys
import statistics
samples, stats = {}, {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 3 and parts[0] in ("absent", "floor", "filtered", "captured"):
        samples.setdefault(parts[0], []).append((float(parts[1]), float(parts[2])))
    elif line.startswith("stats "):
        name, blob = line.split(" ", 2)[1:]
        stats[name] = json.loads(blob[len("osprey-stats "):])
# Median over the rounds of each configuration.
rows = {k: (statistics.median(a for a, _ in v), statistics.median(b for _, b in v)) for k, v in samples.items()}
print(f"{len(samples['absent'])} rounds, medians")
base = rows["absent"]
print(f"{'configuration':<12} {'getppid ns':>11} {'ratio':>6} {'open+close ns':>14} {'ratio':>6}")
for name in ("absent", "floor", "filtered", "captured"):
    a, b = rows[name]
    print(f"{name:<12} {a:>11.1f} {a / base[0]:>6.2f} {b:>14.1f} {b / base[1]:>6.2f}")
s = stats["captured"]
print(f"captured run: delivered {s['delivered']}, dropped {s['dropped']}, filtered {s['filtered']}, "
      f"seen == delivered+filtered+dropped: {s['seen'] == s['delivered'] + s['filtered'] + s['dropped']}")
PY
