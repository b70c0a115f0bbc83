#!/usr/bin/env bash
# Remove what scripts/install-host.sh installed. Keeps /etc/osprey and
# /var/lib/osprey (configuration, stored alerts) unless --purge.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "uninstall-host: run as root" >&2; exit 1; }
release=$(uname -r)
systemctl disable --now osprey.service 2>/dev/null || true
rm -f /etc/systemd/system/osprey.service
systemctl daemon-reload 2>/dev/null || true
modprobe -r osprey 2>/dev/null || true
rm -f "/lib/modules/$release/extra/osprey.ko" /usr/local/bin/osprey
depmod -a "$release" 2>/dev/null || true
if [ "${1:-}" = "--purge" ]; then
  rm -rf /etc/osprey /var/lib/osprey /var/log/osprey
fi
echo "uninstall-host: removed"
