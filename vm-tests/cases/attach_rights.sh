# Who may attach to /dev/osprey, and whom its consumer hides.
set -u
fail() { echo "FAIL: $*"; exit 1; }
export PYTHONPATH=/io
# The mode alone does not let anyone attach: the opener needs CAP_SYS_ADMIN,
# or CAP_PERFMON with CAP_SYS_PTRACE.
chmod 0666 /dev/osprey
try_open='import errno, os
try:
    os.close(os.open("/dev/osprey", os.O_RDWR))
    print("attached")
except OSError as e:
    print(errno.errorcode[e.errno])'
[ "$(setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c "$try_open")" = EPERM ] ||
  fail "an unprivileged user attached"
[ "$(setpriv --bounding-set=-sys_admin,-perfmon python3 -c "$try_open")" = EPERM ] ||
  fail "root without CAP_SYS_ADMIN and CAP_PERFMON attached"
[ "$(setpriv --bounding-set=-sys_admin,-sys_ptrace python3 -c "$try_open")" = EPERM ] ||
  fail "CAP_PERFMON without CAP_SYS_PTRACE attached"
[ "$(setpriv --bounding-set=-sys_admin python3 -c "$try_open")" = attached ] ||
  fail "CAP_PERFMON with CAP_SYS_PTRACE was refused"
[ "$(python3 -c "$try_open")" = attached ] || fail "root was refused"
chmod 0600 /dev/osprey
echo "attach rights ok"

# The consumer's own syscalls are not recorded: that must not hide a later
# process given its number. The consumer starts capture, hands the device to
# a child and exits; the child makes a process with the consumer's old pid,
# whose opens must be counted.
rm -f /io/out/pid_reuse.txt
python3 - <<'PY'
import os, sys, time
import osprey_device as dev

fd = dev.attach(exits=[dev.OPENAT])
consumer = os.getpid()
if os.fork():
    os._exit(0)  # the consumer goes; its child keeps the device open
while os.path.exists(f"/proc/{consumer}"):
    time.sleep(0.01)
before = dev.syscall_counts(fd, dev.OPENAT)
with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(consumer - 1))
child = os.fork()
if child == 0:
    for _ in range(50):
        os.close(os.open("/etc/hostname", os.O_RDONLY))
    os._exit(0)
os.waitpid(child, 0)
after = dev.syscall_counts(fd, dev.OPENAT)
seen = (after[0] + after[2]) - (before[0] + before[2])
with open("/io/out/pid_reuse.txt", "w") as f:
    f.write(f"consumer {consumer} reused {child} opens counted {seen}\n")
PY
until [ -s /io/out/pid_reuse.txt ]; do sleep 0.1; done
cat /io/out/pid_reuse.txt
