# Guest side of scripts/bench-zero-drop.sh: the zero-drop rate search
# (bench/rate-search.guest.sh) against `osprey run` with Osprey's and
# Falco's stable rules, once with decoding on the rules thread
# (--decode-thread off), once on its own thread, then against Falco's
# driver (scap.ko) drained by bench/falco-drain asking for every syscall
# (mode falco).
set -eu
dropped() {
  if [ "$mode" = falco ]; then
    cat /run/falco-drops
    return
  fi
  osprey_drops
}
for mode in off on falco; do
  rm -f /run/ready
  if [ "$mode" = falco ]; then
    insmod /io/scap.ko
    /io/falco-drain -s all -r /run/ready -m /run/falco-drops 2>/tmp/consumer.err &
  else
    /io/osprey run --rules /io/osprey_rules.yaml --rules /io/falco_rules.yaml --decode-thread "$mode" \
      --ready-file /run/ready >/dev/null 2>/tmp/consumer.err &
  fi
  cpid=$!
  wait_ready "$cpid" /run/ready /tmp/consumer.err || exit 1
  sleep 1.5   # the drop count is written
  search_zero_drop_rate
  kill -INT $cpid
  wait $cpid
  [ "$mode" != falco ] || rmmod scap
done
