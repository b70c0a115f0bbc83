#!/usr/bin/env bash
# Install Osprey on this lab host: build the module against the running
# kernel's build tree (which must have Rust support), build the consumer,
# install both with the default configuration and a systemd unit.
#
#   scripts/install-host.sh            install (root)
#   scripts/install-host.sh --check    only say whether this host can run it
#
# Environment: KDIR, the kernel build tree (default
# /lib/modules/$(uname -r)/build); OSPREY_BIN, an osprey binary to install
# instead of building one with cargo.
#
# Undo with scripts/uninstall-host.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
release=$(uname -r)
kdir=${KDIR:-/lib/modules/$release/build}
check_only=""
[ "${1:-}" = "--check" ] && check_only=1

fail() { echo "install-host: $*" >&2; exit 1; }

config=""
for c in /proc/config.gz "/boot/config-$release"; do
  [ -e "$c" ] && config=$c && break
done
[ -n "$config" ] || fail "cannot tell whether kernel $release has Rust support (no /proc/config.gz or /boot/config-$release)"
# (grep reads to the end: with -q the writer could die of SIGPIPE, failing the pipe.)
{ case "$config" in *.gz) zcat "$config" ;; *) cat "$config" ;; esac; } | grep -x 'CONFIG_RUST=y' >/dev/null ||
  fail "kernel $release was built without CONFIG_RUST=y: the module cannot be built for it. Run Osprey on a stock kernel in QEMU instead: scripts/run.sh"
[ -d "$kdir" ] || fail "no build tree for $release at $kdir (install the kernel headers)"
[ -e "$kdir/rust/libkernel.rmeta" ] || [ -e "$kdir/rust/kernel.o" ] ||
  fail "the build tree at $kdir has no Rust artifacts (Debian's headers ship none): prepare a full source tree as scripts/setup.sh does and build with make -C kmod KDIR=<tree>"
# A module's Rust code links against the kernel's only when compiled by the
# very rustc the kernel was (and its C by the same compiler).
kconfig_text() { sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$kdir/.config"; }
want_rustc=$(kconfig_text CONFIG_RUSTC_VERSION_TEXT)
have_rustc=$(rustc --version 2>/dev/null || echo "no rustc")
[ "$want_rustc" = "$have_rustc" ] ||
  fail "kernel $release was built with '$want_rustc', this host has '$have_rustc': install that rustc"
cc=$(kconfig_text CONFIG_CC_VERSION_TEXT | cut -d' ' -f1)
command -v "$cc" >/dev/null || fail "kernel $release was built with $cc, which this host lacks: install it"
if [ -n "$check_only" ]; then
  echo "install-host: this host can build and run the module (kernel $release)"
  exit 0
fi
[ "$(id -u)" = 0 ] || fail "run as root"

echo "install-host: building the module against $kdir (with $cc and $have_rustc)"
make -C "$repo/kmod" KDIR="$kdir" CC="$cc"
bin=${OSPREY_BIN:-}
if [ -z "$bin" ]; then
  echo "install-host: building the consumer"
  (cd "$repo" && cargo build --release --locked -p osprey)
  bin=$repo/target/release/osprey
fi

install -D -m 0644 "$repo/kmod/osprey.ko" "/lib/modules/$release/extra/osprey.ko"
depmod -a "$release"
install -D -m 0755 "$bin" /usr/local/bin/osprey
install -d -m 0750 /etc/osprey /var/lib/osprey
if [ ! -e /etc/osprey/osprey.yaml ]; then
  cat >/etc/osprey/osprey.yaml <<'YAML'
# See docs/outputs.md, docs/metrics.md and docs/state.md for every key.
json_output: true
priority: notice
alert_store_path: /var/lib/osprey/alerts.redb
file_output:
  enabled: true
  filename: /var/log/osprey/alerts.json
http:
  listen: 127.0.0.1:8765
YAML
  chmod 0640 /etc/osprey/osprey.yaml
fi
install -d -m 0750 /var/log/osprey
cat >/etc/systemd/system/osprey.service <<'UNIT'
[Unit]
Description=Osprey runtime security sensor
After=network-online.target containerd.service docker.service

[Service]
ExecStartPre=/sbin/modprobe osprey
ExecStart=/usr/local/bin/osprey run --config /etc/osprey/osprey.yaml
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
# The module cannot be unloaded while osprey holds /dev/osprey; it stays
# loaded after a stop (modprobe -r osprey removes it).

[Install]
WantedBy=multi-user.target
UNIT
if [ ! -d /run/systemd/system ]; then
  echo "install-host: installed; systemd is not running here: start it with"
  echo "  modprobe osprey && /usr/local/bin/osprey run --config /etc/osprey/osprey.yaml"
  exit 0
fi
systemctl daemon-reload
systemctl enable --now osprey.service
echo "install-host: osprey is running (systemctl status osprey; alerts in /var/log/osprey/alerts.json)"
