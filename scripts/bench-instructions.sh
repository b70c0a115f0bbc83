#!/usr/bin/env bash
# Instructions per record through `osprey run`'s userspace path (ring merge,
# decode, event, state, Falco's stable rules), counted by valgrind's
# callgrind: repeatable to a few instructions whatever else the machine
# does, so a change can be judged in a minute where criterion needs
# interleaved runs. It runs the pipeline bench's setup only (no criterion
# measurement) over RECORDS records (default 200 000) and counts its two
# warm passes of `run_rings` (two CPU rings merged, decoded in place).
# With --interest-set it counts only the records of the mix that the stable
# rules' interest set lets out of the kernel (no read or write).
#
#   scripts/bench-instructions.sh [--interest-set] [RECORDS]
#
# OSPREY_COMPAT points at the compatibility material (Falco's rules), as
# for `cargo bench`. The profile is left in target/callgrind.out for
# `callgrind_annotate --inclusive=yes target/callgrind.out`.
source "$(dirname "$0")/lib.sh"
mix=whole
if [ "${1:-}" = --interest-set ]; then
  mix=interest-set
  shift
fi
records=${1:-200000}

command -v valgrind >/dev/null || {
  log "installing valgrind"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
}

log "building the pipeline bench"
bench=$(pipeline_bench)

out=$REPO/target/callgrind.out
log "callgrind over the $mix mix of $records records (two counted passes)"
said=$(cd "$REPO/consumer" && OSPREY_BENCH_RECORDS=$records OSPREY_BENCH_MIX=$mix valgrind --tool=callgrind \
  --callgrind-out-file="$out" --toggle-collect='pipeline::run_rings' "$bench" --bench NOMATCH 2>&1 >/dev/null)
counted=$(sed -n 's/.* per pass of \([0-9]*\) records.*/\1/p' <<<"$said")
[ -n "$counted" ] || die "the bench did not say how many records it counted: $said"
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "instructions per record: $((total / (2 * counted))) ($total over 2 x $counted records, $mix mix)"
