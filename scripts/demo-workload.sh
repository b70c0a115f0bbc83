# What `scripts/run.sh` does inside the VM by default: a few things Osprey's
# default rules notice.
echo "--- osprey demo: reading /etc/shadow, setting a setuid bit, running from /tmp, a reverse-shell redirect"
sleep 1
cat /etc/shadow >/dev/null
touch /tmp/suid && chmod 4755 /tmp/suid && rm /tmp/suid
cp /bin/true /tmp/dropper && /tmp/dropper
setpriv --reuid=1000 --regid=1000 --clear-groups unshare -U true
python3 -c '
import socket, subprocess
srv = socket.socket(); srv.bind(("127.0.0.1", 9000)); srv.listen(1)
p = subprocess.Popen(["bash", "-c", "exec 1<>/dev/tcp/127.0.0.1/9000; true"])
srv.accept()[0].close(); p.wait()'
sleep 1
