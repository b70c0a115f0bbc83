#!/usr/bin/env bash
# Run every fuzz target (cargo-fuzz, libFuzzer) for a while each, seeded
# from real data; crashes land in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 600 s, all)
#
# The machine has a stable toolchain only: RUSTC_BOOTSTRAP lets it take the
# sanitizer flags cargo-fuzz passes.
source "$(dirname "$0")/lib.sh"

secs=${1:-600}
shift || true
cd "$REPO/fuzz"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(sed -n 's/^name = "\([a-z_]*\)"$/\1/p' Cargo.toml | grep -v osprey-fuzz)

fuzz_bin="$OSPREY_CACHE/tools/bin/cargo-fuzz"
if [ ! -x "$fuzz_bin" ]; then
  log "installing cargo-fuzz into $OSPREY_CACHE/tools"
  cargo install -q --locked cargo-fuzz --root "$OSPREY_CACHE/tools"
fi

compat=${OSPREY_COMPAT:-$REPO/../shared/compat}
seeds=$OSPREY_CACHE/fuzz-seeds
mkdir -p "$seeds"/{rules_yaml,condition,audit_json,config_yaml,api_query,decode_record}
# Seeds: real rule files, their conditions, real audit events, configs, queries.
cp "$REPO"/rules/*.yaml "$seeds/rules_yaml/" 2>/dev/null || true
[ -d "$compat" ] && cp "$compat"/falco-rules/*.yaml "$seeds/rules_yaml/" 2>/dev/null || true
[ -d "$compat" ] && cp "$compat"/k8s-audit/traces/*.json "$seeds/audit_json/" 2>/dev/null || true
n=0
grep -h '^  condition:' "$REPO"/rules/*.yaml | sed 's/^  condition: *//' | grep -v '^>' | while read -r c; do
  n=$((n + 1)); printf '%s' "$c" >"$seeds/condition/c$n"
done
printf 'json_output: true\npriority: warning\nhttp: {listen: 127.0.0.1:8765, token: t}\nrouter:\n- {type: slack, url: http://x}\n' \
  >"$seeds/config_yaml/basic"
printf 'priority=warning&rule=a+b&since=1&limit=10&q=%%41' >"$seeds/api_query/basic"

failed=0
for t in "${targets[@]}"; do
  log "fuzz $t for ${secs}s"
  mkdir -p "corpus/$t"
  if RUSTC_BOOTSTRAP=1 "$fuzz_bin" fuzz run --release "$t" "corpus/$t" "$seeds/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=4096 -print_final_stats=1 >"$OSPREY_CACHE/fuzz-$t.log" 2>&1; then
    log "fuzz $t: clean ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$OSPREY_CACHE/fuzz-$t.log" | grep -Eo '[0-9]+$') runs)"
  else
    failed=$((failed + 1))
    log "fuzz $t: FAILED, see $OSPREY_CACHE/fuzz-$t.log and fuzz/artifacts/$t/"
    tail -30 "$OSPREY_CACHE/fuzz-$t.log"
  fi
done
echo "fuzz: $(( ${#targets[@]} - failed )) passed, $failed failed"
[ "$failed" = 0 ]
