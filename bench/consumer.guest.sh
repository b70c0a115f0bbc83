# Consumer control for the benchmarks' guest scripts (bench_vm puts it
# before each): attach a consumer, wait until it is ready, detach it and
# print its final counters as "stats <label> <osprey-stats|falco-stats JSON>".
# CONSUMER_CPUS, when set, pins the consumer to those CPUs. (taskset execs
# the consumer: $! stays its pid, which `detach` signals.)
pinned() { [ -z "${CONSUMER_CPUS:-}" ] || echo "taskset -c $CONSUMER_CPUS"; }
# attach SYSCALLS [OPTION...]: `osprey capture` of SYSCALLS, output discarded.
attach() {
  rm -f /run/ready
  syscalls=$1
  shift
  $(pinned) /io/osprey capture --syscalls "$syscalls" "$@" --ready-file /run/ready >/dev/null 2>/tmp/consumer.err &
  cpid=$!
  wait_ready "$cpid" /run/ready /tmp/consumer.err || exit 1
}
# Full `osprey run`: Osprey's and Falco's stable rules, alerts discarded;
# decoding on the rules thread or on its own ($1: --decode-thread); more
# options after it.
attach_run() {
  rm -f /run/ready
  mode=$1
  shift
  $(pinned) /io/osprey run --rules /io/osprey_rules.yaml --rules /io/falco_rules.yaml --decode-thread "$mode" "$@" \
    --ready-file /run/ready >/dev/null 2>/tmp/consumer.err &
  cpid=$!
  wait_ready "$cpid" /run/ready /tmp/consumer.err || exit 1
}
# attach_falco SET: Falco's driver (scap.ko, loaded) drained by
# bench/falco-drain asking for SET (all, or syscall names).
attach_falco() {
  rm -f /run/ready
  $(pinned) /io/falco-drain -s "$1" -r /run/ready 2>/tmp/consumer.err &
  cpid=$!
  wait_ready "$cpid" /run/ready /tmp/consumer.err || exit 1
}
detach() { kill -INT $cpid; wait $cpid; grep -E '^(osprey|falco)-stats' /tmp/consumer.err | sed "s/^/stats $1 /"; }
