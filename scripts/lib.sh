# Shared helpers for Osprey's scripts. Source it; do not run it.
#
# All heavy state (the trixie build chroot, the prepared kernel tree, the VM
# root filesystem, build outputs) lives under $OSPREY_CACHE, never in the repo.

set -euo pipefail

OSPREY_CACHE=${OSPREY_CACHE:-/var/cache/osprey}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIRROR=${OSPREY_MIRROR:-http://deb.debian.org/debian}

BUILD_ROOT=$OSPREY_CACHE/build-root      # trixie chroot with rustc/bindgen/gcc-14
VM_ROOT=$OSPREY_CACHE/vm-root            # trixie userland the test VM boots
STAMPS=$OSPREY_CACHE/stamps
KTREE_IN_CHROOT=/build/linux            # prepared kernel tree, path inside the chroot
KTREE=$BUILD_ROOT$KTREE_IN_CHROOT

log() { printf '[osprey %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# step NAME: true when NAME already completed (so a re-run skips it).
step_done() { [ -f "$STAMPS/$1" ]; }
step_mark() { mkdir -p "$STAMPS"; date -u +%FT%TZ >"$STAMPS/$1"; }

# The kernel release chosen when the build root was provisioned.
kernel_release() {
  [ -f "$OSPREY_CACHE/kernel-release" ] || die "no kernel prepared yet: run scripts/setup.sh"
  cat "$OSPREY_CACHE/kernel-release"
}

# in_chroot ROOT CMD...: run CMD inside ROOT with a sane environment, in a
# private mount namespace holding the pseudo filesystems a chroot needs: they
# vanish with the command, and concurrent runs cannot unmount each other's.
in_chroot() {
  local root=$1; shift
  unshare --mount --propagation private /bin/sh -euc '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
      DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"' in_chroot "$root" "$@"
}

# The make invocation Debian used for its kernel (see the headers'
# .kernelvariables): gcc-14, no LLVM, and the exact release string.
kmake() {
  local krel
  krel=$(kernel_release)
  in_chroot "$BUILD_ROOT" make ARCH=x86 CROSS_COMPILE=x86_64-linux-gnu- \
    CC=x86_64-linux-gnu-gcc-14 HOSTCC=gcc-14 KERNELRELEASE="$krel" "$@"
}

# pipeline_bench: builds the pipeline bench (consumer/benches/pipeline.rs)
# and prints its binary's path.
pipeline_bench() {
  local bench
  bench=$(cd "$REPO" && cargo bench -p osprey --bench pipeline --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "pipeline" and m.get("executable"):
        print(m["executable"])')
  [ -x "$bench" ] || die "no pipeline bench binary"
  echo "$bench"
}

# bench_dir: makes $bench_out, a directory removed on exit.
bench_dir() {
  [ -n "${bench_out:-}" ] && return
  bench_out=$(mktemp -d)
  trap 'rm -rf "$bench_out"' EXIT
}

# falco_driver: builds Falco's driver and its drain once
# (scripts/setup-falco.sh) and sets falco_files to the vm-run.sh options
# that put them under /io.
falco_driver() {
  "$REPO/scripts/setup-falco.sh"
  falco_files=()
  local file
  for file in scap.ko falco-drain libscap.so.0 libscap_engine_kmod.so.0; do
    falco_files+=(--file "$OSPREY_CACHE/falco/$file")
  done
}

# bench_vm MODE VARS GUEST [OPTION...]: runs bench/GUEST.guest.sh in one VM
# boot (MODE: --no-module or --no-consumer; OPTIONs: more of vm-run.sh's),
# after the consumer controls and the rate search it may use,
# with VARS prepended and Osprey's and Falco's stable rules under /io; the
# guest's stderr ends up in $bench_out/stderr.
bench_vm() {
  local mode=$1 vars=$2 guest=$3 compat=${OSPREY_COMPAT:-$REPO/../shared/compat}
  bench_dir
  { echo "$vars"; cat "$REPO/bench/consumer.guest.sh" "$REPO/bench/rate-search.guest.sh" "$REPO/bench/$guest.guest.sh"; } \
    >"$bench_out/guest.sh"
  "$REPO/scripts/vm-run.sh" "$mode" --stall 1800 --out "$bench_out/vm" \
    --file "$REPO/rules/osprey_rules.yaml" --file "$compat/falco-rules/falco_rules.yaml" "${@:4}" \
    "$bench_out/guest.sh" 2>"$bench_out/stderr" >/dev/null ||
    { cat "$bench_out/stderr" >&2; die "benchmark VM failed"; }
}
