# The DaemonSet's two containers from Osprey's own image (scripts/build-image.sh)
# on containerd: the init container's step loads the module, then `osprey run`
# runs privileged in the host's pid namespace and alerts on a host action.
set -u
exec >/io/out/steps.txt 2>&1
release=$(uname -r)
modprobe -q overlay 2>/dev/null || grep -qw overlay /proc/filesystems  # built in on the debug kernel
containerd >/tmp/containerd.log 2>&1 &
until ctr version >/dev/null 2>&1; do sleep 0.1; done
ctr image import /io/osprey-image.oci.tar >/dev/null || { echo "image import failed"; exit 1; }
image=$(ctr image ls -q | grep osprey/osprey)
mkdir -p /boot && cp /io/kernel.config "/boot/config-$release"
echo "== init"
ctr run --rm --privileged --mount type=bind,src=/boot,dst=/host/boot,options=rbind:ro \
  "$image" osprey-init /opt/osprey/load-module.sh /opt/osprey/modules
echo "rc=$?"
[ -c /dev/osprey ] && echo "device: /dev/osprey"
echo "== run"
mkdir -p /tmp/osprey-etc /tmp/osprey-state
printf 'host_root: /proc/1/root\njson_output: true\n' >/tmp/osprey-etc/osprey.yaml
ctr run --privileged --with-ns pid:/proc/1/ns/pid --net-host \
  --mount type=bind,src=/tmp/osprey-etc,dst=/etc/osprey,options=rbind:ro \
  --mount type=bind,src=/tmp/osprey-state,dst=/var/lib/osprey,options=rbind:rw \
  "$image" osprey /usr/bin/osprey run --config /etc/osprey/osprey.yaml --ready-file /var/lib/osprey/ready \
  >/io/out/alerts.jsonl 2>/io/out/osprey.err &
osprey=$!
wait_ready $osprey /tmp/osprey-state/ready
[ -f /tmp/osprey-state/ready ] && echo "ready"
cat /etc/shadow >/dev/null
sleep 3
ctr task kill -s INT osprey
wait $osprey
echo "rc=$?"
