#!/bin/sh
# Init container of the Osprey DaemonSet: load the module built for this
# node's kernel, or say clearly why it cannot be loaded.
#
#   load-module.sh MODULE_DIR      (holds <kernel release>/osprey.ko)
set -eu
release=$(uname -r)
dir=${1:-/opt/osprey/modules}
if [ -e /dev/osprey ]; then
  echo "osprey: module already loaded on $release"
  exit 0
fi
config=""
for c in /proc/config.gz "/host/boot/config-$release" "/boot/config-$release"; do
  [ -e "$c" ] && config=$c && break
done
if [ -z "$config" ]; then
  echo "osprey: cannot tell whether kernel $release has Rust support (no /proc/config.gz or /boot/config-$release)" >&2
  exit 1
fi
if ! { case "$config" in *.gz) zcat "$config" ;; *) cat "$config" ;; esac; } | grep -qx 'CONFIG_RUST=y'; then
  echo "osprey: kernel $release was built without CONFIG_RUST=y: the Osprey module cannot load on this node" >&2
  exit 1
fi
module="$dir/$release/osprey.ko"
if [ ! -f "$module" ]; then
  echo "osprey: no module built for kernel $release in $dir (build it with scripts/build-kmod.sh against this kernel)" >&2
  exit 1
fi
insmod "$module"
echo "osprey: loaded $module"
