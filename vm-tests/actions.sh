# Real actions that Osprey's default rules and Falco's stable rules detect;
# sourced by the cases that run them (vm-tests/run.py passes it as /io/actions.sh).
# Runs again in the same boot with the same results.
cd /tmp
cat /etc/shadow >/dev/null
find / -xdev -maxdepth 2 -name id_rsa 2>/dev/null
touch victim && chmod 4755 victim
ln -s /etc/shadow /tmp/shadow-link && rm /tmp/shadow-link
cp /bin/true /dev/shm/dropper && /dev/shm/dropper
cp /bin/true /tmp/x && /tmp/x
GLIBC_TUNABLES=glibc.malloc.mxfast=0 /bin/true
setpriv --reuid=1000 --regid=1000 --clear-groups unshare -U true
echo x > /var/log/osprey-test.log && rm /var/log/osprey-test.log
python3 -c 'import subprocess; subprocess.run(["python3", "-c", "open(\"/etc/../etc/../etc/shadow\").read()"])'
python3 -c '
import socket
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 8081)); srv.listen(1)
import subprocess
p = subprocess.Popen(["bash", "-c", "exec 1<>/dev/tcp/127.0.0.1/8081; true"])
srv.accept()[0].close(); p.wait()
'
# A 64-bit program's 32-bit syscall: socket(AF_INET, SOCK_STREAM) by int $0x80.
python3 - <<'PY'
import socket, sys
sys.path.insert(0, "/io")
from low_memory import LowMemory
LowMemory().int80()(359, socket.AF_INET, socket.SOCK_STREAM)
PY
# A 32-bit program's 64-bit syscall: it jumps into 64-bit code to execve a
# missing file, then exits.
python3 - <<'PY'
import subprocess, sys
sys.path.insert(0, "/io")
from low_memory import ELF32_TEXT, elf32, into_64bit_code, syscall64


def gate(path_at):
    return into_64bit_code(ELF32_TEXT) + syscall64(59, path_at, 0, 0) + syscall64(231, 0)


elf32("/tmp/osprey-gate", gate, b"/tmp/osprey-gate-missing\0")
subprocess.run(["/tmp/osprey-gate"])
PY
sleep 30 &
victim=$!
python3 -c 'import ctypes, sys; libc = ctypes.CDLL(None); libc.ptrace(16, int(sys.argv[1]), 0, 0)' $victim
kill -KILL $victim
sleep 0.5
