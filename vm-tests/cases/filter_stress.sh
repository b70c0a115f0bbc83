# Open filters replaced thousands of times (as rules reloads replace them)
# while threads of another process open and close files: a replaced filter
# is freed only once no reader can hold it, neither an exit probe nor the
# hooks' handler on close's entry.
set -u
export PYTHONPATH=/io
python3 - <<'PY' || exit 1
import fcntl, os, threading, time
import osprey_device as dev

REPLACEMENTS = 2000
fd = dev.attach(exits=[dev.OPENAT, dev.CLOSE])
worker = os.fork()
if worker == 0:
    def churn():
        while True:
            os.close(os.open("/etc/hostname", os.O_RDONLY))
    for _ in range(4):
        threading.Thread(target=churn, daemon=True).start()
    time.sleep(3600)
filters = [dev.open_filter(1, dev.OPEN_FILTER_CLOSES), dev.open_filter(2, dev.OPEN_FILTER_CLOSES)]
for i in range(REPLACEMENTS):
    fcntl.ioctl(fd, dev.SET_OPEN_FILTER, filters[i % 2])
    if i % 250 == 0:
        print(f"replaced {i}", flush=True)
os.kill(worker, 9)
os.waitpid(worker, 0)
delivered, filtered, dropped = dev.syscall_counts(fd, dev.CLOSE)
print(f"filter stress ok: {REPLACEMENTS} replacements; closes filtered {filtered}, delivered {delivered}, "
      f"dropped {dropped}", flush=True)
PY
dmesg | grep -E "WARNING|BUG|Oops|Call Trace|UBSAN|KASAN" && { echo "FAIL: kernel complained"; exit 1; }
exit 0
