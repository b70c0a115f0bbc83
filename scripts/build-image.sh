#!/usr/bin/env bash
# Build Osprey's container image, the one the DaemonSet and the Helm chart
# run, as an OCI archive (no docker, no registry, no base image):
#
#   /usr/bin/osprey                       the consumer (CMD `osprey run`; no
#                                         ENTRYPOINT, so each container names
#                                         its command), with its shared libraries
#   /opt/osprey/load-module.sh            the init container's step
#   /opt/osprey/modules/<release>/osprey.ko   the module for each kernel built
#   /bin/busybox (+ sh, insmod, zcat...)  what load-module.sh runs
#
#   scripts/build-image.sh [OUT.tar]      (default $OSPREY_CACHE/out/osprey-image.oci.tar)
#
# Push it with e.g. `skopeo copy oci-archive:OUT.tar docker://REGISTRY/osprey:TAG`,
# or load it with `ctr images import` / `podman load`. Run scripts/build.sh first.
source "$(dirname "$0")/lib.sh"

out=${1:-$OSPREY_CACHE/out/osprey-image.oci.tar}
bin=$REPO/target/release/osprey
[ -x "$bin" ] || die "no $bin: run scripts/build.sh"
release=$(kernel_release)
[ -f "$OSPREY_CACHE/out/osprey.ko" ] || die "no module: run scripts/build.sh"
version=$("$bin" --version | awk '{print $2}')
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$bin" "$root/usr/bin/osprey"
# The libraries the binary links, at the paths its loader looks in.
ldd "$bin" | awk '/=> \// {print $3} /ld-linux/ && !/=>/ {print $1}' | while read -r lib; do
  install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
done
install -D -m 0755 "$REPO/deploy/load-module.sh" "$root/opt/osprey/load-module.sh"
install -D -m 0644 "$OSPREY_CACHE/out/osprey.ko" "$root/opt/osprey/modules/$release/osprey.ko"
install -D -m 0755 "$BUILD_ROOT/usr/bin/busybox" "$root/bin/busybox"
for applet in sh cat zcat grep uname insmod echo mkdir ls; do ln -s busybox "$root/bin/$applet"; done
mkdir -p "$root/etc/osprey" "$root/var/lib/osprey" "$root/tmp" "$root/proc" "$root/sys" "$root/dev"
chmod 1777 "$root/tmp"

mkdir -p "$(dirname "$out")"
python3 "$REPO/scripts/oci_image.py" "$root" "$out" "docker.io/osprey/osprey:$version" \
  --cmd /usr/bin/osprey run
log "image: $out (docker.io/osprey/osprey:$version, kernel $release, $(du -h "$out" | cut -f1))"
