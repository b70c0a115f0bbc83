#!/usr/bin/env bash
# Userspace events/s on one core as a user gets them: `osprey replay` of a
# capture file (raw kernel records, as `osprey capture --write` stores them)
# with Falco's stable rules, timed as a whole process by hyperfine. The
# records are the pipeline bench's mix (consumer/benches/common), whole and
# as the stable rules' interest set delivers it; replaying an empty capture
# in the same run gives the cost of starting (loading and compiling the
# rules), which is subtracted. Both the median and the best of RUNS runs
# are given: on a shared host the spread is mostly other tenants' work,
# and the best run is the one it disturbed least.
#
#   scripts/bench-replay.sh [RECORDS [RUNS]]
#
# OSPREY_COMPAT points at the compatibility material (Falco's rules).
source "$(dirname "$0")/lib.sh"
records=${1:-1000000}
runs=${2:-10}
compat=${OSPREY_COMPAT:-$REPO/../shared/compat}
rules=$compat/falco-rules/falco_rules.yaml
[ -f "$rules" ] || die "no Falco rules at $rules (set OSPREY_COMPAT)"

command -v hyperfine >/dev/null || {
  log "installing hyperfine"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends hyperfine >/dev/null
}

log "building osprey and the pipeline bench"
(cd "$REPO" && cargo build -q --release -p osprey)
bench=$(pipeline_bench)

bench_dir
log "writing the mix of $records records as capture files"
(cd "$REPO/consumer" && OSPREY_BENCH_RECORDS=$records OSPREY_BENCH_CAPTURES=$bench_out "$bench" --bench NOMATCH \
  >/dev/null 2>&1) || die "the bench could not write the captures"

replay() { echo "$REPO/target/release/osprey replay --rules $rules --input $bench_out/$1.cap"; }
# The events a replay processed, as it reports them.
count() { $(replay "$1") 2>&1 >/dev/null | sed -n 's/^replay: \([0-9]*\) events.*/\1/p'; }
log "timing osprey replay (empty, interest-set, whole)"
hyperfine --warmup 1 --runs "$runs" --export-json "$bench_out/times.json" --style basic \
  "$(replay empty)" "$(replay interest-set)" "$(replay whole)" >&2
python3 - "$bench_out/times.json" "$runs" "$(count interest-set)" "$(count whole)" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
runs = sys.argv[2]
start = results[0]["median"]
for (name, n), r in zip((("interest-set", int(sys.argv[3])), ("whole", int(sys.argv[4]))), results[1:]):
    median, best = r["median"] - start, r["min"] - start
    print(f"{name}: {n} records in {r['median']:.3f} s (median of {runs}; best {r['min']:.3f} s), "
          f"after the {start:.3f} s start: {n / median / 1e6:.2f} M records/s at the median, "
          f"{n / best / 1e6:.2f} M at the best run")
PY
