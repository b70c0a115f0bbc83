#!/usr/bin/env bash
# Build kmod/ against the prepared stock-kernel tree inside the trixie chroot.
# Result: $OSPREY_CACHE/out/osprey.ko
source "$(dirname "$0")/lib.sh"

step_done kernel-tree || die "kernel tree not prepared: run scripts/setup.sh"
src=$BUILD_ROOT/build/osprey-src
mkdir -p "$src/shared-abi/src" "$OSPREY_CACHE/out"
# The module compiles shared-abi's source through #[path]: keep the layout.
rsync -a --delete --exclude '*.o' --exclude '*.ko' "$REPO/kmod/" "$src/kmod/" 2>/dev/null ||
  { rm -rf "$src/kmod"; cp -a "$REPO/kmod" "$src/kmod"; }
cp "$REPO/shared-abi/src/abi.rs" "$REPO/shared-abi/src/syscalls.rs" "$src/shared-abi/src/"
# The syscall tables come from the kernel: a tree with other numbers or
# entry functions (a newer kernel) is said, not silently misread.
python3 "$REPO/scripts/gen-syscalls.py" "$KTREE" --check ||
  log "warning: the syscall tables are not $(kernel_release)'s; the module may misname syscalls"
log "kmod: building against $(kernel_release)"
kmake -C "$KTREE_IN_CHROOT" M=/build/osprey-src/kmod modules >"$OSPREY_CACHE/out/kmod-build.log" 2>&1 ||
  { cat "$OSPREY_CACHE/out/kmod-build.log" >&2; die "module build failed"; }
grep -E 'warning|error' "$OSPREY_CACHE/out/kmod-build.log" >&2 || true
cp "$src/kmod/osprey.ko" "$OSPREY_CACHE/out/osprey.ko"
log "kmod: $OSPREY_CACHE/out/osprey.ko"
