# A real container (containerd + runc, a local busybox image) doing things the
# container rules watch for.
set -eu
modprobe overlay
containerd >/tmp/containerd.log 2>&1 &
for _ in $(seq 1 200); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
ctr image import /io/osprey-test.oci.tar >/dev/null
ctr run --rm --label io.kubernetes.pod.name=P --label io.kubernetes.pod.namespace=N \
  docker.io/osprey/test:latest osprey-ctr-1 \
  sh -c 'sleep 1; cat /etc/shadow >/dev/null; id; cp /bin/busybox /tmp/dpkg; /tmp/dpkg --version || true'
# The same action on the host, for contrast.
cat /etc/shadow >/dev/null
