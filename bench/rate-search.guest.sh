# The zero-drop rate search for the benchmarks' guest scripts (bench_vm puts
# it before them): GENERATORS processes (default 1) together hold a fixed
# rate of captured events (openat + close of the directory /etc, 2 events
# per pair: every sensor here delivers directory opens, whatever its rules)
# for STEP_S seconds per step, doubling the rate until the consumer drops,
# then three finer steps, then hold the highest clean rate for HOLD_S
# seconds (three quarters of it when that drops, up to three holds). The
# caller defines `dropped` (the consumer's drop count so far) and sets
# `mode` (the label). Prints "rate|hold <mode> <target ev/s> <achieved ev/s>
# <dropped>" per step.
STEP_S=${STEP_S:-10}
HOLD_S=${HOLD_S:-60}
GENERATORS=${GENERATORS:-1}
# step RATE [SECONDS [LABEL]]: one step at RATE; sets `lost` to its drops and
# `achieved` to its rate.
step() {
  before=$(dropped)
  gens=""
  for g in $(seq "$GENERATORS"); do
    perl -MTime::HiRes=time,sleep -e '
    my ($rate, $secs) = @ARGV;
    my $pairs = $rate / 2; my $batch = $pairs / 100 > 1 ? int($pairs / 100) : 1;
    my $path = "/etc";   # syscall() may write to its arguments: not a literal
    my $t0 = time; my $n = 0;
    while ((my $el = time - $t0) < $secs) {
      for (1..$batch) { my $fd = syscall(257, -100, $path, 0); syscall(3, $fd); }
      $n += $batch;
      my $ahead = $n / $pairs - (time - $t0);
      sleep($ahead) if $ahead > 0;
    }
    printf "%d\n", 2 * $n / (time - $t0);' "$(($1 / GENERATORS))" "${2:-$STEP_S}" >/tmp/generated.$g &
    gens="$gens $!"
  done
  wait $gens
  achieved=0
  for g in $(seq "$GENERATORS"); do achieved=$((achieved + $(cat /tmp/generated.$g))); done
  sleep 1.5   # the consumer drains; drop counts refresh every second
  lost=$(($(dropped) - before))
  echo "${3:-rate} $mode $1 $achieved $lost"
}
# osprey_drops: what `osprey run`'s kernel counted dropped, from /metrics.
osprey_drops() {
  python3 -c '
import re, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:8765/metrics").read().decode()
print(sum(int(m) for m in re.findall(r"osprey_kernel_events\{cpu=\"\d+\",outcome=\"dropped\"\} (\d+)", text)))'
}
# search_zero_drop_rate: the search, against the consumer running now.
search_zero_drop_rate() {
  # Doubling until the first drop (or the generator's ceiling), then three
  # finer steps between the last clean rate and the first lossy one.
  good=0 rate=2500
  while [ "$rate" -le 1280000 ]; do
    step "$rate"
    [ "$lost" -gt 0 ] && break
    good=$rate
    [ "$achieved" -lt "$((rate * 9 / 10))" ] && break
    rate=$((rate * 2))
  done
  if [ "$lost" -gt 0 ] && [ "$good" -gt 0 ]; then
    base=$good
    for i in 1 2 3; do
      step $((base + i * (rate - base) / 4))
      [ "$lost" -gt 0 ] && break
      good=$((base + i * (rate - base) / 4))
    done
  fi
  # Hold the highest clean rate; a step is short, so when the hold drops,
  # hold three quarters of the rate, at most three times in all.
  for attempt in 1 2 3; do
    [ "$good" -gt 0 ] || break
    step "$good" "$HOLD_S" hold
    [ "$lost" -eq 0 ] && break
    good=$((good * 3 / 4))
  done
}
