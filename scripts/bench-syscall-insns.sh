#!/usr/bin/env bash
# Instructions per syscall in the VM, counted by a QEMU TCG plugin
# (bench/insn-window.c) on the vCPU running the syscalls, for getppid and
# openat+close, under each module configuration in one boot: module absent
# / the kernel's own tracer recording the same tracepoints' events (a
# yardstick) / probes returning at once (floor) / loaded and filtered /
# loaded and captured (drained by `osprey capture` on the other vCPU),
# enters and exits or exits only (as `osprey run` asks) / the full `osprey
# run`; then the same with the per-syscall hooks; then Falco's driver
# (scap.ko, from scripts/setup-falco.sh) drained by bench/falco-drain,
# filtered / captured / all syscalls. TCG's timings weigh
# instructions as the emulator runs them (the ring's atomics and barriers
# far more than a CPU would); its instruction counts are exact and repeat
# to within a tenth of a percent, so what Osprey adds per syscall can be
# compared with what the empty probes add as a native CPU would execute it
# (instructions, not cycles: cache misses are not counted).
#
# With --profile CONFIG it runs that configuration alone and says where its
# instructions go: per kernel or module function, per call, for each loop
# (falco-captured: Falco's driver's).
#
#   scripts/bench-syscall-insns.sh [--profile CONFIG] [N]
source "$(dirname "$0")/lib.sh"
only="" plugin_args=""
if [ "${1:-}" = --profile ]; then
  only=$2 plugin_args=",profile=1"
  shift 2
fi
n=${1:-20000}
bench_dir
log "building the instruction-counting plugin and the guest loop"
gcc -shared -fPIC -O2 -Wall -Wextra -o "$bench_out/insn-window.so" "$REPO/bench/insn-window.c"
gcc -static -no-pie -O2 -Wall -Wextra -o "$bench_out/insn-loop" "$REPO/bench/insn-loop.c"
addr() { nm "$bench_out/insn-loop" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
start=$(addr insn_window_start) stop=$(addr insn_window_stop)
[ -n "$start" ] && [ -n "$stop" ] || die "no markers in insn-loop"
falco_driver
log "counting $n calls per configuration"
bench_vm --no-module "N=$n ONLY=$only" syscall-insns --file "$bench_out/insn-loop" "${falco_files[@]}" \
  --qemu-args "-plugin $bench_out/insn-window.so,start=$start,stop=$stop$plugin_args -d plugin -D $bench_out/windows"
if [ -n "$only" ]; then
  python3 - "$bench_out/windows" "$bench_out/vm/kallsyms" "$n" <<'PY'
import bisect, collections, sys
windows, kallsyms, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
symbols = sorted((int(f[0], 16), f[2] + (" " + f[3] if len(f) > 3 else ""))
                 for f in (line.split() for line in open(kallsyms)))
starts = [a for a, _ in symbols]
def symbol(vaddr):
    i = bisect.bisect_right(starts, vaddr) - 1
    return symbols[i][1] if i >= 0 else "?"
per_function, loops = collections.Counter(), []
for line in open(windows):
    f = line.split()
    if f[0] == "tb" and int(f[1], 16) >= 1 << 63:
        per_function[symbol(int(f[1], 16))] += int(f[2]) * int(f[3])
    elif f[0] == "window":
        loops.append((int(f[2]), per_function))
        per_function = collections.Counter()
for name, (total, functions) in zip(("getppid", "open+close"), loops):
    print(f"{name}: {total / n:.0f} instructions per call, {sum(functions.values()) / n:.0f} in the kernel")
    for function, count in functions.most_common(40):
        if count >= n:
            print(f"{count / n:8.1f}  {function}")
PY
  exit
fi
python3 - "$bench_out/stderr" "$bench_out/windows" "$n" <<'PY'
import json, sys
stderr, windows, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
configs = [line.split()[1] for line in open(stderr) if line.startswith("config ")]
stats = {}
for line in open(stderr):
    if line.startswith("stats "):
        name, blob = line.split(" ", 2)[1:]
        stats[name] = json.loads(blob[blob.index("{"):])
counts = [int(line.split()[2]) for line in open(windows) if line.startswith("window ")]
if len(counts) != 2 * len(configs):
    sys.exit(f"{len(counts)} windows for {len(configs)} configurations")
rows = {c: (counts[2 * i] / n, counts[2 * i + 1] / n) for i, c in enumerate(configs)}
base = rows["absent"]
print(f"{'configuration':<21} {'getppid':>9} {'added':>7} {'open+close':>11} {'added':>7}   (instructions per call)")
for name, (a, b) in rows.items():
    print(f"{name:<21} {a:>9.0f} {a - base[0]:>7.0f} {b:>11.0f} {b - base[1]:>7.0f}")
for i, workload in enumerate(("getppid", "open+close")):
    floor = rows["floor"][i] - base[i]
    ratio = lambda k: (rows[k][i] - base[i]) / floor
    print(f"{workload}: the empty probes add {floor:.0f}; filtered adds {ratio('filtered'):.2f}x that, "
          f"captured {ratio('captured'):.2f}x (exits only {ratio('captured-exits'):.2f}x), "
          f"hooks-filtered {ratio('hooks-filtered'):.2f}x, hooks-captured {ratio('hooks-captured'):.2f}x "
          f"(exits only {ratio('hooks-captured-exits'):.2f}x); the kernel's own tracer recording "
          f"the tracepoints' events {ratio('ftrace'):.2f}x (exits only {ratio('ftrace-exits'):.2f}x)")
for name in ("captured", "captured-exits", "hooks-captured", "hooks-captured-exits"):
    s = stats[name]
    print(f"{name}: delivered {s['delivered']}, dropped {s['dropped']}, filtered {s['filtered']}")
for name in ("falco-captured", "falco-all"):
    s = stats[name]
    print(f"{name}: delivered {s['delivered']}, dropped {s['dropped']}")
# Osprey beside Falco's driver: instructions each adds per call over
# module-absent, Osprey's divided by Falco's.
print("Osprey / Falco's driver, instructions added per call:")
pairs = (("filtered", "falco-filtered"), ("hooks-filtered", "falco-filtered"), ("captured", "falco-captured"),
         ("captured-exits", "falco-captured"), ("hooks-captured", "falco-captured"),
         ("hooks-captured-exits", "falco-captured"), ("run", "falco-all"), ("hooks-run", "falco-all"))
for osprey, falco in pairs:
    ratios = []
    for i, workload in enumerate(("getppid", "open+close")):
        o, f = rows[osprey][i] - base[i], rows[falco][i] - base[i]
        ratios.append(f"{workload} {o:.0f} / {f:.0f} = {o / f:.2f}" if f > 0 else f"{workload} {o:.0f} / {f:.0f}")
    print(f"  {osprey:<21} / {falco:<15} {'; '.join(ratios)}")
PY
