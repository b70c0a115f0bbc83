# The same workload under `osprey run` (Osprey's and Falco's stable rules)
# with the in-kernel predicates and without them (--no-kernel-predicates);
# vm-tests compares the alerts and the events delivered (the predicates:
# failures no rule matches, opens of paths no rule names, mounts on the host).
# The first run also
# decodes on a thread of its own, the second on the rules thread: the same
# alerts prove both pipelines too.
set -u
workload() {
  for i in 1 2 3; do
    cat /etc/shadow >/dev/null                        # alerts
    ln -s /etc/shadow /tmp/osprey-link-$i; rm -f /tmp/osprey-link-$i
    cat /no/such/file 2>/dev/null                     # failed opens ...
    ls /nonexistent-$i 2>/dev/null
    python3 -c 'import json, email.message, http.client, unittest'  # ... a module search's many
    sh -c 'command -v not-a-command' >/dev/null       # a PATH search
    chmod 4755 /no/such/file 2>/dev/null              # a failed chmod
    mkdir /tmp/osprey-d-$i && rmdir /tmp/osprey-d-$i
    # Opens the kernel's path filter must still deliver: a relative path
    # (resolved against the cwd), a path relative to a directory opened
    # without O_DIRECTORY, and a path after fchdir to such a directory.
    (cd /etc && cat shadow >/dev/null)
    python3 -c 'import os; d = os.open("/etc", os.O_RDONLY); os.close(os.open("shadow", os.O_RDONLY, dir_fd=d))'
    python3 -c 'import os; os.fchdir(os.open("/etc", os.O_RDONLY)); open("gshadow").close()'
    echo x >/var/log/osprey-$i.log; : >/var/log/osprey-$i.log; rm -f /var/log/osprey-$i.log  # a log cleared
    host_mount                                        # only container rules read mounts
  done
  # A mount in a container's cgroup (as ctr names them: /default/<id>) is
  # delivered and alerted either way. The second exec, after a pause, makes
  # sure the consumer has found the new cgroup before the mount.
  mkdir /sys/fs/cgroup/default /sys/fs/cgroup/default/osprey-fake
  sh -c 'echo $$ >/sys/fs/cgroup/default/osprey-fake/cgroup.procs; ls / >/dev/null; sleep 0.3; ls / >/dev/null
    python3 -c "$1"' sh "$MOUNT_TMPFS"
  rmdir /sys/fs/cgroup/default/osprey-fake /sys/fs/cgroup/default
}
# mount(2) itself: util-linux's mount may use the new mount API instead.
MOUNT_TMPFS='import ctypes; libc = ctypes.CDLL(None, use_errno=True)
assert libc.mount(b"osprey", b"/tmp/osprey-mnt", b"tmpfs", 0, None) == 0, ctypes.get_errno()
libc.umount2(b"/tmp/osprey-mnt", 0)'
mkdir -p /tmp/osprey-mnt
host_mount() { python3 -c "$MOUNT_TMPFS"; }
run() {
  name=$1
  shift
  rm -f /run/ready
  /io/osprey run --rules /io/osprey_rules.yaml --rules /io/falco_rules.yaml --ready-file /run/ready "$@" \
    >"$OSPREY_OUT/alerts-$name.jsonl" 2>"$OSPREY_OUT/consumer-$name.err" &
  pid=$!
  wait_ready $pid /run/ready "$OSPREY_OUT/consumer-$name.err" || exit 1
  workload
  sleep 1.5  # the module's counters reach /metrics every second
  python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8765/metrics").read().decode())' \
    >"$OSPREY_OUT/metrics-$name.txt"
  kill -INT $pid
  wait $pid
}
run on --decode-thread on
run off --no-kernel-predicates --decode-thread off
