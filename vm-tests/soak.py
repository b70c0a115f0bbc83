#!/usr/bin/env python3
"""Soak test: `osprey run` with Osprey's and Falco's stable rules in the VM
under a mixed workload (file opens, execs, an alerting action twice a second,
getppid bursts the kernel filters) for N minutes, sampled every 10 s.

    python3 vm-tests/soak.py [--minutes 30] [--store-capacity N] [--consumer-args "--decode-thread on"]

Checks at every sample that the kernel counters add up (seen = delivered +
filtered + dropped, up to the events in flight on the CPUs), at the end that
every alert raised reached the file output or is counted as dropped/failed,
and reports the consumer's RSS slope (least squares, after the first
minute). Prints a JSON summary; not part of scripts/test.sh (time).
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the VM helpers)

CPUS = 2  # the VM's -smp: at most one event in flight per CPU between counters


def slope_kb_per_min(points):
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    return sum((t - mx) * (v - my) for t, v in points) / var * 60 if var else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--store-capacity", type=int, default=10000,
                    help="alert_store_capacity: a small one fills early, so RSS can only show leaks")
    ap.add_argument("--consumer-args", default="", help="extra arguments for `osprey run`")
    args = ap.parse_args()
    seconds = int(args.minutes * 60)
    work = tempfile.mkdtemp(prefix="osprey-soak-")
    case = os.path.join(run.CASES, "soak.sh")
    script = os.path.join(work, "soak.sh")
    with open(case) as src, open(script, "w") as dst:
        dst.write(src.read().replace("__SOAK_SECONDS__", str(seconds)))
    config = os.path.join(work, "osprey.yaml")
    with open(config, "w") as f:
        f.write("stdout_output:\n  enabled: false\nfile_output:\n  enabled: true\n  filename: /tmp/alerts.jsonl\n"
                f"json_output: true\nalert_store_capacity: {args.store_capacity}\n")
    stable = os.path.join(run.COMPAT, "falco-rules", "falco_rules.yaml")
    out_dir = os.path.join(work, "out")
    cmd = [run.VM_RUN, "--out", out_dir, "--config", config,
           "--rules", os.path.join(run.REPO, "rules", "osprey_rules.yaml"), "--rules", stable, script]
    if args.consumer_args:
        cmd[1:1] = ["--consumer-args", args.consumer_args]
    proc = run.subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"soak: vm-run exited {proc.returncode}\n{proc.stderr[-3000:]}")
    samples = [json.loads(line) for line in open(os.path.join(out_dir, "soak.jsonl"))]
    problems = []
    for s in samples:
        k = s["kernel"]
        gap = k["seen"] - (k["delivered"] + k["filtered"] + k["dropped"])
        if not 0 <= gap <= CPUS:
            problems.append(f"t={s['t']:.0f}: seen - (delivered + filtered + dropped) = {gap}")
    last = samples[-1]
    out = last["file_output"]
    accounted = last["file_lines"] + out.get("dropped", 0) + out.get("failed", 0)
    if accounted != last["alerts"]:
        problems.append(f"alerts raised {last['alerts']}, written {last['file_lines']}, counted lost "
                        f"{out.get('dropped', 0) + out.get('failed', 0)}")
    t0 = samples[0]["t"]
    steady = [(s["t"] - t0, s["rss_kb"]) for s in samples if s["t"] - t0 >= 60 and s["phase"] == "load"]
    first, k = samples[0], last["kernel"]
    elapsed = last["t"] - first["t"]
    summary = {
        "minutes": round(elapsed / 60, 1),
        "samples": len(samples),
        "events_seen_per_s": round((k["seen"] - first["kernel"]["seen"]) / elapsed),
        "delivered_per_s": round((k["delivered"] - first["kernel"]["delivered"]) / elapsed),
        "dropped": k["dropped"],
        "alerts": last["alerts"],
        "alerts_written": last["file_lines"],
        "rss_kb_first_minute": steady[0][1] if steady else None,
        "rss_kb_end": last["rss_kb"],
        "rss_kb_max": max(s["rss_kb"] for s in samples),
        "rss_slope_kb_per_min": round(slope_kb_per_min(steady), 2) if len(steady) > 2 else None,
        "state_end": last.get("state"),
        "threads_max": max(s.get("state", {}).get("threads", 0) for s in samples),
        "problems": problems,
    }
    print(json.dumps(summary, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
