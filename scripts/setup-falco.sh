#!/usr/bin/env bash
# Falco's kernel driver and a consumer of it, for the benchmarks that measure
# Osprey beside Falco in one boot: Debian trixie's falcosecurity-scap-dkms
# (the driver's source, built unpatched against the prepared kernel tree
# with the module's own make flags) and libfalcosecurity0 (libscap, whose
# kmod engine bench/falco-drain.c drains the driver with). The packages are
# unpacked in the build root, never installed.
#
# Result, in $OSPREY_CACHE/falco: scap.ko, falco-drain and the two libscap
# libraries it loads from the guest's /io (its run path), and `version`.
# Rebuilt when this script, the drain or the kernel changes.
source "$(dirname "$0")/lib.sh"

step_done kernel-tree || die "build root not prepared: run scripts/setup.sh"
OUT=$OSPREY_CACHE/falco
WORK_IN_CHROOT=/build/falco
WORK=$BUILD_ROOT$WORK_IN_CHROOT
krel=$(kernel_release)
stamp=falco-$(cat "$0" "$REPO/bench/falco-drain.c" | sha256sum | cut -c1-12)-$krel
if step_done "$stamp" && [ -f "$OUT/scap.ko" ]; then
  exit 0
fi

rm -rf "$WORK" "$OUT"
mkdir -p "$WORK/debs" "$WORK/root" "$OUT"
log "falco: fetching Falco's driver source and libscap (trixie packages)"
in_chroot "$BUILD_ROOT" sh -c "cd $WORK_IN_CHROOT/debs && apt-get download -q -o APT::Sandbox::User=root \
  falcosecurity-scap-dkms libfalcosecurity0t64 libfalcosecurity0-dev uthash-dev"
for deb in "$WORK"/debs/*.deb; do
  dpkg-deb -x "$deb" "$WORK/root"
done
src=$(find "$WORK/root/usr/src" -maxdepth 1 -name 'scap-*' | head -1)
[ -n "$src" ] || die "falcosecurity-scap-dkms holds no driver source"
version=${src##*/scap-}
cp -r "$src" "$WORK/scap"

log "falco: building scap.ko $version against $krel"
kmake -C "$KTREE_IN_CHROOT" M="$WORK_IN_CHROOT/scap" KERNELDIR="$KTREE_IN_CHROOT" modules >"$WORK/scap.log" 2>&1 ||
  { tail -30 "$WORK/scap.log" >&2; die "scap.ko did not build"; }

log "falco: building bench/falco-drain.c against libscap $version"
cp "$REPO/bench/falco-drain.c" "$WORK/"
usr=$WORK_IN_CHROOT/root/usr
in_chroot "$BUILD_ROOT" gcc -O2 -Wall -Wextra -Werror -o "$WORK_IN_CHROOT/falco-drain" "$WORK_IN_CHROOT/falco-drain.c" \
  -I"$usr/include/falcosecurity" -I"$usr/include" -L"$usr/lib/x86_64-linux-gnu" \
  -lscap -lscap_engine_kmod -Wl,-rpath,/io

cp "$WORK/scap/scap.ko" "$WORK/falco-drain" "$OUT/"
for lib in libscap.so.0 libscap_engine_kmod.so.0; do
  cp -L "$WORK/root/usr/lib/x86_64-linux-gnu/$lib" "$OUT/$lib"
done
echo "$version" >"$OUT/version"
step_mark "$stamp"
log "falco: driver $version in $OUT"
