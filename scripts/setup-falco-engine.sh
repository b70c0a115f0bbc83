#!/usr/bin/env bash
# Falco itself (0.40.0, the newest release on the libs 0.20 that trixie
# ships) as a yardstick in the VM: built from the source archive beside the
# repository (../shared/falco-peer, or $OSPREY_FALCO_PEER) against trixie's
# libfalcosecurity0-dev, with that directory's cmake stand-ins for the steps
# that would download libs from GitHub. The build runs in an overlay of the
# build root, so the build root gains none of Falco's build dependencies.
# About 12 minutes on two cores, once; rebuilt when this script changes.
#
# Result, in $OSPREY_CACHE/falco-engine: `falco` (stripped), `libs.tar`
# (the shared libraries it needs beyond the VM's own: the VM unpacks them
# into a directory of their own, LD_LIBRARY_PATH for Falco only), and the
# rules Falco 0.40.0 pins (falco_rules.yaml, stable), and Falco's own
# falco.yaml.
source "$(dirname "$0")/lib.sh"

step_done kernel-tree || die "build root not prepared: run scripts/setup.sh"
PEER=${OSPREY_FALCO_PEER:-$REPO/../shared/falco-peer}
[ -f "$PEER/falco-0.40.0-src.tar.gz" ] || die "no Falco source at $PEER (set OSPREY_FALCO_PEER)"
OUT=$OSPREY_CACHE/falco-engine
WORK=$OSPREY_CACHE/falco-engine-build
stamp=falco-engine-$(sha256sum "$0" | cut -c1-12)
if step_done "$stamp" && [ -x "$OUT/falco" ]; then
  exit 0
fi

# An overlay of the build root: Falco's build dependencies and objects land
# in $WORK/upper. Kept between runs, so an interrupted build resumes.
mkdir -p "$WORK/upper" "$WORK/work" "$WORK/root" "$WORK/upper/build/falco-src" "$WORK/upper/build/falco-peer"
cp -r "$PEER/cmake-shim" "$PEER/rules-3.2.0" "$WORK/upper/build/falco-peer/"
if [ ! -f "$WORK/upper/build/falco-src/CMakeLists.txt" ]; then
  tar -xzf "$PEER/falco-0.40.0-src.tar.gz" -C "$WORK/upper/build/falco-src"
  # Read by CPack's configuration only (packaging), not in the archive.
  touch "$WORK/upper/build/falco-src/scripts/description.txt"
fi

# in_overlay CMD...: CMD in the overlay, as in_chroot runs it in the build root.
in_overlay() {
  unshare --mount --propagation private /bin/bash -euc '
    source "$1/scripts/lib.sh"; shift
    mount -t overlay overlay -o "lowerdir=$BUILD_ROOT,upperdir=$1/upper,workdir=$1/work" "$1/root"
    root=$1/root; shift
    in_chroot "$root" "$@"' in_overlay "$REPO" "$WORK" "$@"
}

log "falco engine: installing its build dependencies in the overlay"
in_overlay sh -c 'apt-get install -y -q --no-install-recommends cmake make g++ g++-14 pkgconf \
  libfalcosecurity0-dev libyaml-cpp-dev nlohmann-json3-dev libcxxopts-dev libvalijson-dev libssl-dev \
  libcurl4-openssl-dev uthash-dev >/dev/null'

log "falco engine: building Falco 0.40.0 (about 12 minutes on two cores)"
in_overlay sh -c 'mkdir -p /build/falco-obj && cd /build/falco-obj &&
  cmake /build/falco-src -DCMAKE_BUILD_TYPE=Release -DCMAKE_MODULE_PATH=/build/falco-peer/cmake-shim \
    -DFALCO_VERSION=0.40.0 -DUSE_BUNDLED_DEPS=OFF -DMINIMAL_BUILD=ON -DBUILD_DRIVER=OFF \
    -DBUILD_FALCO_MODERN_BPF=OFF -DBUILD_FALCO_GVISOR=OFF -DCREATE_TEST_TARGETS=OFF \
    -DADD_FALCOCTL_DEPENDENCY=OFF \
    -DFALCOSECURITY_RULES_FALCO_PATH=/build/falco-peer/rules-3.2.0/falco_rules.yaml >/build/cmake.log 2>&1 &&
  nice -n 10 make -j2 falco >/build/make.log 2>&1' ||
  { tail -40 "$WORK/upper/build/cmake.log" "$WORK/upper/build/make.log" 2>/dev/null >&2; die "Falco did not build"; }

log "falco engine: collecting the binary and the libraries the VM lacks"
rm -rf "$OUT"
mkdir -p "$OUT"
in_overlay sh -c 'cd /build/falco-obj && bin=$(find . -name falco -type f -perm -u+x | head -1) &&
  strip -o /build/falco-obj/falco.stripped "$bin" && rm -rf /build/falco-libs && mkdir /build/falco-libs &&
  ldd /build/falco-obj/falco.stripped | awk "/=> \// { print \$3 }" |
    grep -v -E "/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so" | xargs -r cp -L -t /build/falco-libs'
cp "$WORK/upper/build/falco-obj/falco.stripped" "$OUT/falco"
tar -C "$WORK/upper/build/falco-libs" -cf "$OUT/libs.tar" .
cp "$PEER/rules-3.2.0/falco_rules.yaml" "$OUT/falco_rules.yaml"
# Falco's own falco.yaml, reading no config.d (the VM has none).
sed -e 's|^config_files:$|config_files: []|' -e '\|^  - /etc/falco/config.d$|d' \
  "$WORK/upper/build/falco-src/falco.yaml" >"$OUT/falco.yaml"
step_mark "$stamp"
log "falco engine: $OUT/falco ($(du -sh "$OUT/libs.tar" | cut -f1) of libraries)"
