#!/usr/bin/env bash
# Syscall cost in the VM, one boot, every configuration measured in the same
# run: module absent / probes that return at once (probe_floor=1, the floor of
# the tracepoint mechanism) / loaded with the syscall filtered out / loaded and
# captured with `osprey capture` decoding (captured) or only draining
# (written: no drops from a consumer too slow under emulation). Under TCG
# only the ratios mean anything.
#
# Plus the full `osprey run` with Osprey's and Falco's stable rules, decoding
# on the rules thread (run) and on a thread of its own (run2); and with the
# module's per-syscall hooks (per_syscall_hooks=1) instead of the global
# syscall tracepoints: filtered (hooks-filtered), the full run (hooks-run),
# and the full run without in-kernel predicates (hooks-run-nopred).
#
# And Falco's driver (scap.ko 0.20, scripts/setup-falco.sh) drained by
# bench/falco-drain, in every round: asking for execve only (falco-filtered),
# for the captured row's syscalls (falco-captured), for all (falco-all).
# Osprey / Falco compares the time each adds over module-absent.
#
#   scripts/bench-syscalls.sh [N_PPID [N_OPEN [ROUNDS [N_DD]]]]
source "$(dirname "$0")/lib.sh"
falco_driver
bench_vm --no-module "N_PPID=${1:-300000} N_OPEN=${2:-100000} ROUNDS=${3:-3} N_DD=${4:-200000}" syscall-cost \
  "${falco_files[@]}"
python3 - "$bench_out/stderr" <<'PY'
import json, sys
import statistics
CONFIGS = ("absent", "floor", "filtered", "captured", "written", "run", "run2", "hooks-filtered", "hooks-run",
           "hooks-run-nopred", "falco-filtered", "falco-captured", "falco-all")
samples, stats = {}, {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 4 and parts[0] in CONFIGS:
        samples.setdefault(parts[0], []).append(tuple(float(p) for p in parts[1:]))
    elif line.startswith("stats "):
        name, blob = line.split(" ", 2)[1:]
        stats[name] = json.loads(blob[blob.index("{"):])
# Median over the rounds of each configuration.
rows = {k: tuple(statistics.median(s[i] for s in v) for i in range(3)) for k, v in samples.items()}
print(f"{len(samples['absent'])} rounds, medians")
base = rows["absent"]
print(f"{'configuration':<15} {'getppid ns':>11} {'ratio':>6} {'open+close ns':>14} {'ratio':>6} {'dd ns/block':>12} {'ratio':>6}")
for name in CONFIGS:
    a, b, c = rows[name]
    print(f"{name:<15} {a:>11.1f} {a / base[0]:>6.2f} {b:>14.1f} {b / base[1]:>6.2f} {c:>12.1f} {c / base[2]:>6.2f}")
# The targets: what Osprey adds over the bare tracepoint mechanism.
for i, workload in enumerate(("getppid", "open+close", "dd")):
    floor_added = rows["floor"][i] - base[i]
    if floor_added <= 0:
        print(f"{workload}: the empty probes add nothing measurable here")
        continue
    added = {k: (rows[k][i] - base[i]) / floor_added for k in ("filtered", "captured", "written")}
    print(f"{workload}: filtered adds {added['filtered']:.2f}x, captured {added['captured']:.2f}x, "
          f"captured and drained at once {added['written']:.2f}x what the empty probes add")
with_pred, without = rows["hooks-run"][1], rows["hooks-run-nopred"][1]
print(f"open+close under the full run: {with_pred:.0f} ns with the in-kernel predicates, {without:.0f} ns without "
      f"({with_pred / without:.2f}x); over module-absent: {(with_pred - base[1]) / (without - base[1]):.2f}x the added cost")
print("Osprey / Falco's driver, time added per call over module-absent:")
for osprey, falco in (("filtered", "falco-filtered"), ("hooks-filtered", "falco-filtered"),
                      ("captured", "falco-captured"), ("written", "falco-captured"), ("run", "falco-all"),
                      ("hooks-run", "falco-all")):
    parts = []
    for i, workload in enumerate(("getppid", "open+close", "dd")):
        o, f = rows[osprey][i] - base[i], rows[falco][i] - base[i]
        parts.append(f"{workload} {o / f:.2f}" if f > 0 else f"{workload} -")
    print(f"  {osprey:<15} / {falco:<15} {', '.join(parts)}")
for name in ("falco-captured", "falco-all"):
    s = stats[name]
    print(f"{name} run: delivered {s['delivered']}, dropped {s['dropped']}")
for name in ("captured", "written"):
    s = stats[name]
    print(f"{name} run: delivered {s['delivered']}, dropped {s['dropped']}, filtered {s['filtered']}, "
          f"seen == delivered+filtered+dropped: {s['seen'] == s['delivered'] + s['filtered'] + s['dropped']}")
PY
