# Real containers (containerd + runc, a local busybox image) doing things the
# container rules watch for.
set -eu
modprobe -q overlay 2>/dev/null || grep -qw overlay /proc/filesystems  # built in on the debug kernel
containerd >/tmp/containerd.log 2>&1 &
until ctr version >/dev/null 2>&1; do sleep 0.1; done
ctr image import /io/osprey-test.oci.tar >/dev/null
# A pod sandbox as CRI records one: the pod's labels live on it.
ctr container create --label app=web --label io.cri-containerd.kind=sandbox \
  docker.io/osprey/test:latest osprey-sandbox-1 true
ctr run --rm --label io.kubernetes.pod.name=P --label io.kubernetes.pod.namespace=N \
  --annotation io.kubernetes.cri.sandbox-id=osprey-sandbox-1 \
  --mount type=bind,src=/var/log,dst=/host/log,options=rbind:ro \
  docker.io/osprey/test:latest osprey-ctr-1 \
  sh -c 'sleep 1; cat /etc/shadow >/dev/null; id; cp /bin/busybox /tmp/dpkg; /tmp/dpkg --version || true'
# A privileged container: its first process starts with every capability.
ctr run --rm --privileged docker.io/osprey/test:latest osprey-priv sh -c 'sleep 1; true'
# A user that only the image's /etc/passwd names.
ctr run --rm --user 4321:4321 docker.io/osprey/test:latest osprey-user sh -c 'sleep 2; id; sleep 2'
# The same action on the host, for contrast.
cat /etc/shadow >/dev/null
