# scripts/install-host.sh on a host whose kernel has Rust support: the stock
# kernel, its prepared build tree (shared read-only at its usual place) and
# the toolchain the kernel was built with (trixie's, in the VM's userland).
# The module is built and installed, modprobe loads it, and the installed
# osprey with the installed config alerts into the installed log file.
set -u
exec >/io/out/steps.txt 2>&1
release=$(uname -r)
mkdir -p /ktree
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro ktree /ktree || { echo "no ktree share"; exit 1; }
ln -sfn /ktree "/lib/modules/$release/build"
# What Debian's linux-image package puts in /boot: the kernel's config.
mkdir -p /boot && cp /ktree/.config "/boot/config-$release"
mkdir -p /tmp/repo && tar -xf /io/repo.tar -C /tmp/repo
echo "== check"
bash /tmp/repo/scripts/install-host.sh --check
echo "rc=$?"
echo "== install"
OSPREY_BIN=/io/osprey bash /tmp/repo/scripts/install-host.sh
echo "rc=$?"
echo "== run"
modprobe osprey && echo "modprobe: ok"
/usr/local/bin/osprey run --config /etc/osprey/osprey.yaml --ready-file /run/osprey.ready 2>/io/out/osprey.err &
pid=$!
wait_ready $pid /run/osprey.ready
cat /etc/shadow >/dev/null
sleep 2
kill -INT $pid
wait $pid
echo "rc=$?"
cp /var/log/osprey/alerts.json /io/out/alerts.json
