# Guest side of scripts/bench-falco.sh: the full `falco` (0.40.0 on its own
# driver) and the full `osprey run`, both with Falco's stable rules 3.2.0
# and nothing else, in one boot: `dd bs=500` per block against
# module-absent (ROUNDS interleaved rounds), the CPU time each consumer
# spends while the rate search's generator holds CPU_RATE events/s of
# openat+close of /etc (events every sensor here delivers) for CPU_S
# seconds, and the zero-drop rate search (bench/rate-search.guest.sh).
# Prints "dd <sensor> <ns/block>", "cpu <sensor> <ticks> <ticks/s>
# <events> <dropped>" and the search's lines.
set -eu
N_DD=${N_DD:-200000}
ROUNDS=${ROUNDS:-3}
CPU_RATE=${CPU_RATE:-10000}
CPU_S=${CPU_S:-20}
RULES=/io/falco_rules-3.2.0.yaml
. /io/falco_start.sh
# start SENSOR (osprey or falco): loads its driver, starts it, waits until
# it reads events.
start() {
  rm -f /run/ready /run/falco-alerts.json
  if [ "$1" = osprey ]; then
    insmod /io/osprey.ko
    /io/osprey run --rules "$RULES" --ready-file /run/ready >/dev/null 2>/tmp/consumer.err &
    cpid=$!
    wait_ready "$cpid" /run/ready /tmp/consumer.err || exit 1
    return
  fi
  # Every second with drops becomes an alert counting them ("Falco
  # internal: syscall event drop", n_drops): what `dropped` sums.
  insmod /io/scap.ko
  start_falco "$RULES" /run/falco-alerts.json /tmp/consumer.err -o syscall_event_drops.threshold=0 \
    -o syscall_event_drops.rate=100 -o syscall_event_drops.max_burst=100 \
    -o "syscall_event_drops.actions[]=alert" || exit 1
  cpid=$falco_pid
}
stop() {
  kill -INT $cpid
  wait $cpid || true
  if [ "$1" = osprey ]; then rmmod osprey; else rmmod scap; fi
}
dd_ns() {
  perl -MTime::HiRes=time -e '
    my $n = $ARGV[0]; my $t = time;
    system("dd if=/dev/zero of=/dev/null bs=500 count=$n status=none") == 0 or die "dd";
    printf "%.1f\n", (time - $t) / $n * 1e9;' "$N_DD"
}
for _ in $(seq 1 "$ROUNDS"); do
  echo "dd absent $(dd_ns)" >&2
  for sensor in osprey falco; do
    start $sensor
    echo "dd $sensor $(dd_ns)" >&2
    stop $sensor
  done
done
dropped() {
  if [ "$mode" = osprey ]; then
    osprey_drops
  else
    python3 -c '
import json
drops = 0
for line in open("/run/falco-alerts.json"):
    if "syscall event drop" in line:
        drops += int(json.loads(line)["output_fields"]["n_drops"])
print(drops)'
  fi
}
for mode in osprey falco; do
  start $mode
  before=$(awk '{ print $14 + $15 }' /proc/$cpid/stat)
  step "$CPU_RATE" "$CPU_S" cpu >&2
  after=$(awk '{ print $14 + $15 }' /proc/$cpid/stat)
  echo "cpu $mode $((after - before)) $(getconf CLK_TCK) $((achieved * CPU_S)) $lost" >&2
  search_zero_drop_rate >&2
  stop $mode
done
