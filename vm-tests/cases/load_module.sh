# The DaemonSet's init container script on the stock kernel: every refusal
# says why, then the module loads, and a second run sees it loaded.
set -u
exec >/io/out/steps.txt 2>&1
release=$(uname -r)
run() { echo "== $1"; shift; "$@" 2>&1; echo "rc=$?"; }
mkdir -p /tmp/modules /host/boot
run "no kernel config" /io/load-module.sh /tmp/modules
grep -v '^CONFIG_RUST=' /io/kernel.config >"/host/boot/config-$release"
run "no rust" /io/load-module.sh /tmp/modules
cp /io/kernel.config "/host/boot/config-$release"
run "no module" /io/load-module.sh /tmp/modules
mkdir -p "/tmp/modules/$release" && cp /io/osprey.ko "/tmp/modules/$release/"
run "load" /io/load-module.sh /tmp/modules
[ -c /dev/osprey ] && echo "device: /dev/osprey"
run "again" /io/load-module.sh /tmp/modules
