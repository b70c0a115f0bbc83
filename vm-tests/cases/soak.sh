# Soak (run by vm-tests/soak.py, which sets SOAK_SECONDS below): a mixed
# workload at the highest rate the VM sustains, sampled every 10 s.
set -u
SOAK_SECONDS=__SOAK_SECONDS__
python3 - "$SOAK_SECONDS" <<'PY'
import json, os, re, subprocess, sys, threading, time, urllib.request

duration = float(sys.argv[1])
end = time.time() + duration
osprey = subprocess.run(["pgrep", "-f", "/io/osprey run"], capture_output=True, text=True).stdout.split()[0]
samples = open(os.path.join(os.environ["OSPREY_OUT"], "soak.jsonl"), "w")

def metrics():
    text = urllib.request.urlopen("http://127.0.0.1:8765/metrics", timeout=5).read().decode()
    kernel, alerts, outputs, state = {}, 0, {}, {}
    for line in text.splitlines():
        m = re.match(r'osprey_kernel_events\{cpu="\d+",outcome="(\w+)"\} (\d+)', line)
        if m:
            kernel[m[1]] = kernel.get(m[1], 0) + int(m[2])
        elif line.startswith(("osprey_state_threads ", "osprey_state_threads_forgotten ", "osprey_state_fds ")):
            name, value = line.split()
            state[name[len("osprey_state_"):]] = int(float(value))
        elif line.startswith("osprey_alerts_total{"):
            alerts += int(float(line.rsplit(" ", 1)[1]))
        else:
            m = re.match(r'osprey_output_total\{outcome="(\w+)",output="file"\} (\S+)', line)
            if m:
                outputs[m[1]] = int(float(m[2]))
    return kernel, alerts, outputs, state

def rss_kb():
    with open(f"/proc/{osprey}/status") as f:
        return int(next(l for l in f if l.startswith("VmRSS:")).split()[1])

def sample(phase):
    kernel, alerts, outputs, state = metrics()
    lines = sum(1 for _ in open("/tmp/alerts.jsonl")) if os.path.exists("/tmp/alerts.jsonl") else 0
    samples.write(json.dumps({"t": time.time(), "phase": phase, "rss_kb": rss_kb(), "kernel": kernel,
                              "alerts": alerts, "file_output": outputs, "file_lines": lines, "state": state}) + "\n")
    samples.flush()

def files():          # openat/close of a directory: delivered (the state resolves paths against it)
    while time.time() < end:
        for _ in range(200):
            os.close(os.open("/etc", os.O_RDONLY))

def execs():          # fork/exec/exit: the process table churns
    while time.time() < end:
        subprocess.run(["/bin/true"])

def alerts():         # a rule fires twice a second
    while time.time() < end:
        subprocess.run(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL)
        time.sleep(0.5)

def filtered():       # getppid: outside the interest set, filtered in the kernel
    while time.time() < end:
        subprocess.run(["perl", "-e", "syscall(110) for 1..200000"])

workers = [threading.Thread(target=f) for f in (files, execs, alerts, filtered)]
for w in workers:
    w.start()
while time.time() < end:
    sample("load")
    time.sleep(10)
for w in workers:
    w.join()
time.sleep(3)          # let the consumer drain and the outputs write
sample("end")
print("soak done")
PY
