#!/usr/bin/env bash
# Build everything: the osprey binary (host cargo) and the kernel module
# (trixie chroot, against the prepared stock-kernel tree).
source "$(dirname "$0")/lib.sh"
log "cargo build --release"
(cd "$REPO" && cargo build --release --locked -q)
"$REPO/scripts/build-kmod.sh"
