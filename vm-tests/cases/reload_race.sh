# Rules reloads, by SIGHUP and by POST /api/reload in turn, switching between
# two rule sets whose interest sets differ (each reload re-hooks), while 8
# threads open a canary file in a loop, each ending after a few opens and
# replaced by a new one. Then, the reloads over, 8 new threads open a canary
# of their own 100 times each: run.py checks every one of those opens was
# alerted on, and that nothing was dropped.
set -u
RELOADS=500
cp /io/reload_a.yaml /tmp/rules.yaml
# The canaries exist before capture starts: only the opens below are alerted on.
for i in 0 1 2 3 4 5 6 7; do : >/tmp/canary-warm-$i; : >/tmp/canary-final-$i; done
# Its output stays in the VM while the test runs (a 9p read of a file being
# appended to can fail, and writes there are slow), copied out at the end.
/io/osprey run --rules /tmp/rules.yaml --ready-file /run/ready >/tmp/alerts.jsonl 2>/tmp/osprey.err &
pid=$!
trap 'cp /tmp/osprey.err /tmp/alerts.jsonl /io/out/' EXIT
wait_ready $pid /run/ready /tmp/osprey.err || exit 1
python3 - "$pid" "$RELOADS" <<'PY' || exit 1
import os, signal, sys, threading, time, urllib.request

pid, reloads = int(sys.argv[1]), int(sys.argv[2])
done = False


def open_canary(path, times, pause):
    # Paced, so that the consumer keeps up: nothing may be dropped.
    for _ in range(times):
        os.close(os.open(path, os.O_RDONLY))
        time.sleep(pause)


def churn(i):
    while not done:
        opener = threading.Thread(target=open_canary, args=(f"/tmp/canary-warm-{i}", 20, 0.05))
        opener.start()
        opener.join()


def reloaded():
    with open("/tmp/osprey.err") as f:
        text = f.read()
    assert "reload failed" not in text, text[-2000:]
    return text.count("osprey: reloaded")


# Daemons: a failed check ends the script, not held up by them.
churners = [threading.Thread(target=churn, args=(i,), daemon=True) for i in range(8)]
for t in churners:
    t.start()
for n in range(reloads):
    # Swapped whole: a reload never reads a half-written file.
    with open("/tmp/rules.new", "w") as dst, open(f"/io/reload_{'ab'[n % 2]}.yaml") as src:
        dst.write(src.read())
    os.rename("/tmp/rules.new", "/tmp/rules.yaml")
    before = reloaded()
    if n % 2:
        urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:8765/api/reload", method="POST")).read()
    else:
        os.kill(pid, signal.SIGHUP)
    while reloaded() == before:
        time.sleep(0.01)
    time.sleep(0.05)
    if n % 50 == 0:
        print(f"reload {n}", flush=True)
done = True
for t in churners:
    t.join()
print(f"reloads: {reloaded()}", flush=True)
# The reloads over: every open of every new thread is seen.
time.sleep(2)
finals = [threading.Thread(target=open_canary, args=(f"/tmp/canary-final-{i}", 100, 0.01)) for i in range(8)]
for t in finals:
    t.start()
for t in finals:
    t.join()
print("reload race done", flush=True)
PY
sleep 1
kill -INT $pid
wait $pid
