# What `scripts/run.sh` does inside the VM by default: a few things a security
# sensor should notice.
echo "--- osprey demo: reading /etc/shadow, spawning a shell, changing modes, connecting"
sleep 1
cat /etc/shadow >/dev/null
sh -c 'id >/dev/null'
touch /tmp/suid && chmod 4755 /tmp/suid && rm /tmp/suid
python3 -c 'import socket; s=socket.socket(); s.settimeout(1); s.connect_ex(("127.0.0.1", 22))'
unshare -U true
sleep 1
