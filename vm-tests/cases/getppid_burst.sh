# 1M getppid calls under capture; the consumer runs here with output discarded
# so the test measures the rings, not the 9p share.
set -e
/io/osprey capture --syscalls getppid --ready-file /run/ready >/dev/null 2>"$OSPREY_OUT/consumer.err" &
pid=$!
wait_ready $pid /run/ready "$OSPREY_OUT/consumer.err"
perl -e 'syscall(110) for 1..1000000'
kill -INT $pid
wait $pid
