#!/usr/bin/env bash
# Build a debug kernel from the same linux-source as the stock one, and the
# module against it, so the VM tests can run under KASAN and lockdep:
#
#   KASAN (generic, inline), PROVE_LOCKING (lockdep), DEBUG_ATOMIC_SLEEP,
#   DEBUG_LIST, UBSAN bounds checks, Rust; everything the VM tests use built
#   in (virtio, ext4, 9p, overlayfs, cgroups), so it boots without initramfs.
#
# The kernel allows Rust together with KASAN only when built by clang, so this
# tree is built with LLVM=1 (trixie's clang 19, the LLVM of trixie's rustc).
#
# Result: $OSPREY_CACHE/debug/vmlinuz and $OSPREY_CACHE/debug/osprey.ko, used
# by `OSPREY_KERNEL=debug scripts/vm-run.sh` and `OSPREY_KERNEL=debug
# python3 vm-tests/run.py`. About an hour on two cores the first time; the
# kernel is rebuilt only when this script changes, the module every run.
source "$(dirname "$0")/lib.sh"

step_done kernel-tree || die "build root not prepared: run scripts/setup.sh"
DTREE_IN_CHROOT=/build/linux-debug
DTREE=$BUILD_ROOT$DTREE_IN_CHROOT
OUT=$OSPREY_CACHE/debug
mkdir -p "$OUT"

dmake() {
  in_chroot "$BUILD_ROOT" nice -n 10 make -C "$DTREE_IN_CHROOT" ARCH=x86 LLVM=1 "$@"
}

# Options that must hold in the final .config (olddefconfig drops what a
# dependency forbids: checked below).
DEBUG_OPTIONS=(
  CONFIG_LOCALVERSION='"-osprey-debug"'
  CONFIG_RUST=y
  CONFIG_KASAN=y CONFIG_KASAN_GENERIC=y CONFIG_KASAN_INLINE=y
  CONFIG_PROVE_LOCKING=y CONFIG_DEBUG_ATOMIC_SLEEP=y CONFIG_DEBUG_LIST=y
  CONFIG_UBSAN=y CONFIG_UBSAN_BOUNDS=y
  CONFIG_FTRACE=y CONFIG_FTRACE_SYSCALLS=y
  CONFIG_FUNCTION_TRACER=y CONFIG_DYNAMIC_FTRACE=y CONFIG_KPROBES=y  # the per-syscall hooks (kprobes: symbol lookup)
  CONFIG_MODULES=y CONFIG_MODULE_UNLOAD=y
  CONFIG_EXT4_FS=y CONFIG_OVERLAY_FS=y CONFIG_9P_FS=y CONFIG_NET_9P_VIRTIO=y
  CONFIG_VIRTIO_BLK=y CONFIG_VIRTIO_PCI=y CONFIG_DEVTMPFS_MOUNT=y
  CONFIG_CGROUPS=y CONFIG_MEMCG=y CONFIG_CGROUP_PIDS=y CONFIG_CGROUP_DEVICE=y
  CONFIG_BPF_SYSCALL=y CONFIG_CGROUP_BPF=y  # runc controls cgroup v2 devices with BPF
  CONFIG_NAMESPACES=y CONFIG_USER_NS=y CONFIG_PID_NS=y CONFIG_SECCOMP=y
  CONFIG_IKCONFIG=y CONFIG_IKCONFIG_PROC=y
)
UNSET_OPTIONS=(CONFIG_MODVERSIONS CONFIG_DEBUG_INFO_BTF CONFIG_RANDSTRUCT_FULL)

stamp=debug-kernel-$(sha256sum "$0" | cut -c1-12)

if ! step_done "$stamp"; then
  # Unpacked and configured once per version of this script; an interrupted
  # build resumes where make left it.
  configured=$DTREE/.osprey-configured-${stamp#debug-kernel-}
  if [ ! -f "$configured" ]; then
    src=$(cat "$OSPREY_CACHE/kernel-source-package")
    log "debug kernel: unpacking $src into $DTREE"
    rm -rf "$DTREE"
    mkdir -p "$DTREE"
    tar -xf "$BUILD_ROOT/usr/src/$src.tar.xz" -C "$DTREE" --strip-components=1
    log "debug kernel: x86_64_defconfig + kvm_guest.config + debug options"
    dmake x86_64_defconfig kvm_guest.config >/dev/null
    {
      printf '%s\n' "${DEBUG_OPTIONS[@]}"
      for o in "${UNSET_OPTIONS[@]}"; do echo "# $o is not set"; done
    } >>"$DTREE/.config"
    dmake olddefconfig >/dev/null 2>&1
    for o in "${DEBUG_OPTIONS[@]}"; do
      grep -qx -- "$o" "$DTREE/.config" || die "debug kernel: $o did not survive olddefconfig (a dependency is missing)"
    done
    touch "$configured"
  fi
  log "debug kernel: building (about an hour on two cores; log in $OUT/build.log)"
  dmake -j"$(nproc)" >"$OUT/build.log" 2>&1 &
  make_pid=$!
  while kill -0 "$make_pid" 2>/dev/null; do
    sleep 60
    log "debug kernel: $(find "$DTREE" -name '*.o' | wc -l) objects; $(tail -1 "$OUT/build.log" | cut -c1-100)"
  done
  wait "$make_pid" || { tail -40 "$OUT/build.log" >&2; die "debug kernel build failed"; }
  cp "$DTREE/arch/x86/boot/bzImage" "$OUT/vmlinuz"
  step_mark "$stamp"
fi

log "debug kernel: building the module against it"
msrc=$BUILD_ROOT/build/osprey-src-debug
rm -rf "$msrc"
mkdir -p "$msrc/shared-abi/src"
cp -a "$REPO/kmod" "$msrc/kmod"
cp "$REPO/shared-abi/src/abi.rs" "$REPO/shared-abi/src/syscalls.rs" "$msrc/shared-abi/src/"
dmake M=/build/osprey-src-debug/kmod modules >"$OUT/kmod-build.log" 2>&1 ||
  { cat "$OUT/kmod-build.log" >&2; die "module build against the debug kernel failed"; }
grep -E 'warning|error' "$OUT/kmod-build.log" >&2 || true
cp "$msrc/kmod/osprey.ko" "$OUT/osprey.ko"
log "debug kernel: $OUT/vmlinuz, $OUT/osprey.ko"
