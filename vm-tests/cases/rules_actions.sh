# Real actions that Osprey's default rules and Falco's stable rules detect.
set -u
cd /tmp
cat /etc/shadow >/dev/null
find / -xdev -maxdepth 2 -name id_rsa 2>/dev/null
touch victim && chmod 4755 victim
ln -s /etc/shadow /tmp/shadow-link
cp /bin/true /dev/shm/dropper && /dev/shm/dropper
cp /bin/true /tmp/x && /tmp/x
GLIBC_TUNABLES=glibc.malloc.mxfast=0 /bin/true
setpriv --reuid=1000 --regid=1000 --clear-groups unshare -U true
echo x > /var/log/osprey-test.log && rm /var/log/osprey-test.log
python3 -c 'import subprocess; subprocess.run(["python3", "-c", "open(\"/etc/../etc/../etc/shadow\").read()"])'
python3 -c '
import socket
srv = socket.socket(); srv.bind(("127.0.0.1", 8081)); srv.listen(1)
import subprocess
p = subprocess.Popen(["bash", "-c", "exec 1<>/dev/tcp/127.0.0.1/8081; true"])
srv.accept()[0].close(); p.wait()
'
sleep 30 &
victim=$!
python3 -c 'import ctypes, sys; libc = ctypes.CDLL(None); libc.ptrace(16, int(sys.argv[1]), 0, 0)' $victim
kill -KILL $victim
sleep 0.5
# The consumer runs with two capabilities only.
grep -E '^Cap(Eff|Prm|Bnd|Inh)' "/proc/$(pidof osprey)/status" >/io/out/consumer-caps.txt
# What Prometheus would scrape (metrics are refreshed once a second).
sleep 1.2
python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8765/metrics").read().decode())' \
  >/io/out/metrics.txt
