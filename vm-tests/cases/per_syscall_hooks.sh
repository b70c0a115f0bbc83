# The same real actions (actions.sh) under `osprey run` with the global
# syscall tracepoints and with per-syscall hooks; vm-tests compares the
# alerts and the events the module saw. Then, with the hooks: an accept that
# was already blocked when the consumer started reports its return, a fork's
# child reports its own return from clone, and another syscall tracer (an
# ftrace syscall event) makes the hooks stand aside and come back.
set -u
run() {
  name=$1
  insmod /io/osprey.ko "per_syscall_hooks=$2"
  rm -f /run/ready
  /io/osprey run --rules /io/osprey_rules.yaml --rules /io/falco_rules.yaml --all-matches --ready-file /run/ready \
    >"$OSPREY_OUT/alerts-$name.jsonl" 2>"$OSPREY_OUT/consumer-$name.err" &
  pid=$!
  wait_ready $pid /run/ready "$OSPREY_OUT/consumer-$name.err" || exit 1
  (. /io/actions.sh)
  dd if=/dev/zero of=/dev/null bs=500 count=20000 status=none
  sleep 1
  kill -INT $pid
  wait $pid
  rmmod osprey
}
run tracepoints 0
run hooks 1

insmod /io/osprey.ko per_syscall_hooks=1
python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8082)); s.listen(1); open("/run/listening", "w").close()
s.accept()[0].close()' &
until [ -f /run/listening ]; do sleep 0.05; done
rm -f /run/ready
/io/osprey capture --json --syscalls clone,getppid,accept,accept4 --ready-file /run/ready \
  >"$OSPREY_OUT/capture.jsonl" 2>"$OSPREY_OUT/capture.err" &
pid=$!
wait_ready $pid /run/ready "$OSPREY_OUT/capture.err" || exit 1
python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8082)).close()'
/bin/sh -c '/bin/true; /bin/true'
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
echo 1 >/sys/kernel/tracing/events/syscalls/sys_enter_getppid/enable
sleep 2.5
perl -e 'syscall(110) for 1..5'
grep -c 'sys_getppid' /sys/kernel/tracing/trace >"$OSPREY_OUT/ftrace-getppid.txt"
echo 0 >/sys/kernel/tracing/events/syscalls/sys_enter_getppid/enable
sleep 2.5
perl -e 'syscall(110) for 1..3'
sleep 0.5
kill -INT $pid
wait $pid
rmmod osprey
dmesg >"$OSPREY_OUT/dmesg.txt"
