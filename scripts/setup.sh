#!/usr/bin/env bash
# Provision everything Osprey needs to build its kernel module for Debian's
# stock Rust-enabled kernel and to boot that kernel in QEMU:
#
#   host       qemu-system-x86 (bookworm-backports), debootstrap
#   build-root trixie chroot: rustc, rust-src, bindgen, gcc-14 and the newest
#              linux-source / linux-image pair from trixie-backports
#   ktree      linux-source prepared with Debian's config and release string
#   vm-root    trixie userland for the test VM, as an ext4 image + initramfs
#
# Idempotent and resumable: every finished step leaves a stamp in the cache and
# is skipped next time. Everything lives under $OSPREY_CACHE (default
# /var/cache/osprey). Run as root.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and mounts need it)"
mkdir -p "$OSPREY_CACHE"

host_packages() {
  step_done host-packages && return
  log "host: installing debootstrap and qemu-system-x86 from bookworm-backports"
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat >/etc/apt/sources.list.d/osprey-bookworm-backports.sources <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  apt-get update -qq
  # qemu from backports: bookworm's 7.2 would downgrade the preinstalled qemu-utils.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    debootstrap e2fsprogs cpio gzip xz-utils zstd python3 >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports qemu-system-x86 >/dev/null
  step_mark host-packages
}

# debootstrap_trixie ROOT: a minimal trixie with trixie, -updates and -backports.
debootstrap_trixie() {
  local root=$1
  if [ ! -x "$root/usr/bin/apt-get" ] || [ ! -f "$root/.osprey-bootstrapped" ]; then
    log "debootstrap trixie into $root"
    rm -rf "$root"
    debootstrap --variant=minbase trixie "$root" "$MIRROR" >"$OSPREY_CACHE/debootstrap.log" 2>&1 ||
      { tail -20 "$OSPREY_CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
    touch "$root/.osprey-bootstrapped"
  fi
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: trixie trixie-updates trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # Package maintainer scripts must not start services inside a chroot.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
}

build_root() {
  step_done build-root && return
  debootstrap_trixie "$BUILD_ROOT"
  log "build-root: apt-get update"
  in_chroot "$BUILD_ROOT" apt-get update -qq

  # Pick the kernel at run time: the newest linux-source-X.Y that trixie-backports
  # carries, and the linux-image built from the very same source version.
  local src ver krel
  src=$(in_chroot "$BUILD_ROOT" apt-cache search --names-only '^linux-source-[0-9]+\.[0-9]+$' |
    awk '{print $1}' | sort -V | tail -1)
  [ -n "$src" ] || die "no linux-source package found in trixie/trixie-backports"
  ver=$(in_chroot "$BUILD_ROOT" apt-cache show "$src" | awk '/^Version:/{print $2}' | sort -V | tail -1)
  krel="${ver%%-*}+deb13-amd64"
  in_chroot "$BUILD_ROOT" apt-cache show "linux-image-$krel=$ver" >/dev/null 2>&1 ||
    die "$src $ver has no matching linux-image-$krel=$ver on the mirror (mid-upload?); retry later"
  log "build-root: kernel $krel from $src $ver"

  log "build-root: installing toolchain and kernel packages (~600 MB download)"
  in_chroot "$BUILD_ROOT" apt-get install -y -qq --no-install-recommends \
    rustc rust-src bindgen libclang-dev clang lld llvm gcc-14 make flex bison bc \
    libelf-dev libssl-dev dwarves python3 cpio kmod busybox-static xz-utils zstd \
    ca-certificates \
    "$src/trixie-backports" "linux-image-$krel/trixie-backports" \
    "linux-headers-$krel/trixie-backports" "linux-headers-${krel%-amd64}-common/trixie-backports" \
    "linux-kbuild-${krel%-amd64}/trixie-backports" \
    >"$OSPREY_CACHE/apt-build-root.log" 2>&1 ||
    { tail -30 "$OSPREY_CACHE/apt-build-root.log" >&2; die "installing build-root packages failed"; }
  in_chroot "$BUILD_ROOT" apt-get clean
  local installed
  installed=$(in_chroot "$BUILD_ROOT" dpkg-query -W -f='${Version}' "linux-image-$krel")
  [ "$installed" = "$ver" ] || die "linux-image-$krel is $installed, linux-source is $ver"
  echo "$krel" >"$OSPREY_CACHE/kernel-release"
  echo "$src" >"$OSPREY_CACHE/kernel-source-package"
  check_toolchain_matches_kernel "$krel"
  step_mark build-root
}

# The tools scripts/test.sh checks kmod/'s style with, from the kernel's own
# toolchain: rustfmt (trixie's, the rustc's version) and the perl modules
# scripts/checkpatch.pl needs. Its own step, so that a build root made before
# it gets them too.
build_root_style_tools() {
  in_chroot "$BUILD_ROOT" sh -c 'command -v rustfmt && perl -MTerm::ANSIColor -e 1' >/dev/null 2>&1 && return
  log "build-root: installing rustfmt and perl (kmod/ style checks)"
  in_chroot "$BUILD_ROOT" apt-get install -y -qq --no-install-recommends rustfmt perl \
    >>"$OSPREY_CACHE/apt-build-root.log" 2>&1 ||
    { tail -30 "$OSPREY_CACHE/apt-build-root.log" >&2; die "installing rustfmt and perl failed"; }
  in_chroot "$BUILD_ROOT" apt-get clean
}

# A module's Rust symbols only resolve against the kernel when it is compiled by
# the very rustc (and gcc) the kernel was built with.
check_toolchain_matches_kernel() {
  local krel=$1 cfg want have
  cfg=$BUILD_ROOT/usr/src/linux-headers-$krel/.config
  want=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$cfg")
  have=$(in_chroot "$BUILD_ROOT" rustc --version)
  [ "$want" = "$have" ] || die "kernel was built with '$want' but the chroot has '$have'"
  want=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$cfg")
  have=$(in_chroot "$BUILD_ROOT" x86_64-linux-gnu-gcc-14 --version | head -1)
  [ "$want" = "$have" ] || die "kernel was built with '$want' but the chroot has '$have'"
  log "build-root: rustc and gcc match the kernel's config ($want)"
}

kernel_tree() {
  step_done kernel-tree && return
  local krel src hdr
  krel=$(kernel_release)
  src=$(cat "$OSPREY_CACHE/kernel-source-package")
  hdr=$BUILD_ROOT/usr/src/linux-headers-$krel
  log "ktree: unpacking $src"
  rm -rf "$KTREE"
  mkdir -p "$KTREE"
  tar -xf "$BUILD_ROOT/usr/src/$src.tar.xz" -C "$KTREE" --strip-components=1
  cp "$hdr/.config" "$KTREE/.config"
  log "ktree: olddefconfig + modules_prepare (about a minute; builds rust/)"
  kmake -C "$KTREE_IN_CHROOT" olddefconfig >/dev/null
  cmp -s "$hdr/.config" "$KTREE/.config" || die "olddefconfig changed Debian's config"
  kmake -C "$KTREE_IN_CHROOT" -j"$(nproc)" modules_prepare >"$OSPREY_CACHE/modules_prepare.log" 2>&1 ||
    { tail -30 "$OSPREY_CACHE/modules_prepare.log" >&2; die "modules_prepare failed"; }
  # Module.symvers carries Debian's symbol CRCs (without it modpost reports the
  # core Rust symbols undefined); the BTF-only vmlinux gives modules BTF like Debian's.
  cp "$hdr/Module.symvers" "$hdr/vmlinux" "$KTREE/"
  step_mark kernel-tree
}

# The test VM's userland: what the cases run, containerd for the container
# tests, and the kernel's own toolchain (make, gcc-14, rustc, pahole) so that
# scripts/install-host.sh can build the module inside the VM.
VM_PACKAGES="python3 perl kmod procps iproute2 containerd runc make gcc-14 rustc dwarves"
VM_ROOT_STAMP=vm-root-$(echo "$VM_PACKAGES" | sha256sum | cut -c1-12)

vm_root() {
  step_done "$VM_ROOT_STAMP" && return
  local krel
  krel=$(kernel_release)
  debootstrap_trixie "$VM_ROOT"
  log "vm-root: installing the test userland"
  in_chroot "$VM_ROOT" apt-get update -qq
  # shellcheck disable=SC2086 # a word list
  in_chroot "$VM_ROOT" apt-get install -y -qq --no-install-recommends $VM_PACKAGES \
    >"$OSPREY_CACHE/apt-vm-root.log" 2>&1 ||
    { tail -30 "$OSPREY_CACHE/apt-vm-root.log" >&2; die "installing vm-root packages failed"; }
  in_chroot "$VM_ROOT" apt-get clean

  log "vm-root: stock modules for $krel (pruned of hardware the VM lacks)"
  rm -rf "$VM_ROOT/lib/modules/$krel"
  mkdir -p "$VM_ROOT/lib/modules"
  cp -a "$BUILD_ROOT/lib/modules/$krel" "$VM_ROOT/lib/modules/"
  (cd "$VM_ROOT/lib/modules/$krel/kernel" &&
    rm -rf drivers/gpu drivers/media drivers/net/wireless drivers/usb drivers/infiniband \
      drivers/staging drivers/bluetooth drivers/iio drivers/hid sound net/wireless net/mac80211 \
      net/bluetooth)
  chroot "$VM_ROOT" depmod -a "$krel"
  install -m 0755 "$REPO/vm-tests/guest-init" "$VM_ROOT/sbin/osprey-init"
  echo osprey-vm >"$VM_ROOT/etc/hostname"
  mkdir -p "$VM_ROOT/io"
  step_mark "$VM_ROOT_STAMP"
}

# The busybox initramfs only loads what is needed to mount the ext4 root, then
# hands over to /sbin/osprey-init on it.
vm_images() {
  local krel stamp
  krel=$(kernel_release)
  stamp="vm-images-$({ cat "$REPO/vm-tests/guest-init" "$REPO/vm-tests/initramfs-init"; echo "$VM_ROOT_STAMP"; } | sha256sum | cut -c1-16)"
  step_done "$stamp" && return
  install -m 0755 "$REPO/vm-tests/guest-init" "$VM_ROOT/sbin/osprey-init"

  log "vm: building initramfs"
  local ird=$OSPREY_CACHE/initramfs moddir=$VM_ROOT/lib/modules/$krel m
  rm -rf "$ird"
  mkdir -p "$ird"/{bin,dev,proc,sys,newroot,lib/modules}
  cp "$BUILD_ROOT/usr/bin/busybox" "$ird/bin/busybox"
  for m in sh mount umount insmod switch_root sleep mkdir cat echo; do ln -s busybox "$ird/bin/$m"; done
  # Dependencies first, in modules.dep order, decompressed so insmod is quick.
  : >"$ird/modules.order"
  for m in $(module_closure "$moddir" ext4 virtio_blk); do
    local name
    name=$(basename "$m" | sed 's/\.ko.*//')
    case "$m" in
      *.xz) xz -dc "$moddir/$m" >"$ird/lib/modules/$name.ko" ;;
      *.zst) zstd -qdc "$moddir/$m" >"$ird/lib/modules/$name.ko" ;;
      *) cp "$moddir/$m" "$ird/lib/modules/$name.ko" ;;
    esac
    echo "$name" >>"$ird/modules.order"
  done
  install -m 0755 "$REPO/vm-tests/initramfs-init" "$ird/init"
  (cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$OSPREY_CACHE/initramfs.cpio.gz"
  cp "$BUILD_ROOT/boot/vmlinuz-$krel" "$OSPREY_CACHE/vmlinuz"

  log "vm: building rootfs.ext4"
  rm -f "$OSPREY_CACHE/rootfs.ext4"
  mkfs.ext4 -q -F -E root_owner=0:0 -d "$VM_ROOT" "$OSPREY_CACHE/rootfs.ext4" 3G
  step_mark "$stamp"
}

# A busybox OCI image that the container tests import with `ctr`.
test_image() {
  # Rebuilt whenever its recipe changes.
  local stamp
  stamp=test-image-$(cat "$REPO/scripts/build-test-image.py" "$REPO/scripts/oci_image.py" | sha256sum | cut -c1-12)
  step_done "$stamp" && return
  log "vm: building the container test image"
  python3 "$REPO/scripts/build-test-image.py" "$BUILD_ROOT/usr/bin/busybox" "$OSPREY_CACHE/osprey-test.oci.tar"
  step_mark "$stamp"
}

# module_closure MODDIR NAME...: module files (relative to MODDIR) needed to load
# NAME..., each after its dependencies, without repeats.
module_closure() {
  local moddir=$1; shift
  python3 - "$moddir/modules.dep" "$@" <<'EOF'
import sys, os
deps = {}
for line in open(sys.argv[1]):
    path, _, rest = line.partition(":")
    deps[path] = rest.split()
by_name = {os.path.basename(p).split(".ko")[0].replace("-", "_"): p for p in deps}
seen, order = set(), []
def visit(p):
    if p in seen:
        return
    seen.add(p)
    for d in deps.get(p, []):
        visit(d)
    order.append(p)
for name in sys.argv[2:]:
    visit(by_name[name])
print("\n".join(order))
EOF
}

log "cache: $OSPREY_CACHE"
host_packages
build_root
build_root_style_tools
kernel_tree
vm_root
vm_images
test_image
log "setup complete: kernel $(kernel_release)"
