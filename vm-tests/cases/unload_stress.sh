# rmmod while a consumer is attached must fail cleanly (the module is in use),
# then 100 load/unload cycles with consumers attaching and detaching.
set -u
fail() { echo "FAIL: $*"; exit 1; }
/io/osprey capture --ready-file /run/ready >/dev/null 2>/tmp/c.err &
pid=$!
until [ -f /run/ready ]; do sleep 0.05; done
rmmod osprey 2>/tmp/rmmod.err && fail "rmmod succeeded with a consumer attached"
grep -q "in use" /tmp/rmmod.err || fail "unexpected rmmod error: $(cat /tmp/rmmod.err)"
# A second consumer is refused while the first holds the device.
/io/osprey capture --duration 0.1 >/dev/null 2>/tmp/second.err && fail "second consumer attached"
grep -q "busy" /tmp/second.err || fail "second open: $(cat /tmp/second.err)"
kill -KILL $pid; wait $pid 2>/dev/null
# A consumer killed mid-read leaves nothing behind: the next one attaches.
/io/osprey capture --duration 0.2 >/dev/null 2>/tmp/restart.err || fail "restart after SIGKILL: $(cat /tmp/restart.err)"
rmmod osprey || fail "rmmod after consumer death"
for i in $(seq 1 100); do
  insmod /io/osprey.ko ring_pages=16 || fail "insmod cycle $i"
  /io/osprey capture --duration 0.2 >/dev/null 2>/dev/null || fail "capture cycle $i"
  ls / >/dev/null
  rmmod osprey || fail "rmmod cycle $i"
done
insmod /io/osprey.ko ring_pages=3 2>/dev/null && fail "ring_pages=3 accepted"
dmesg | grep -E "WARNING|BUG|Oops|Call Trace|UBSAN|KASAN" && fail "kernel complained"
echo "unload stress ok"
