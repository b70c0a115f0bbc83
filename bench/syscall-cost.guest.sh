# Guest side of scripts/bench-syscalls.sh: per-call cost of getppid and of
# openat+close under each module configuration, all in this one boot, in
# ROUNDS interleaved rounds so that drift in the emulator hits every
# configuration alike. Prints "<config> <getppid ns> <open+close ns>" lines.
set -eu
N_PPID=${N_PPID:-300000}
N_OPEN=${N_OPEN:-100000}
ROUNDS=${ROUNDS:-3}
measure() {
  perl -MTime::HiRes=time -e '
    my ($n1, $n2) = @ARGV;
    my $path = "/etc/hostname";
    syscall(110) for 1..1000;
    my $t = time; syscall(110) for 1..$n1; my $a = (time - $t) / $n1 * 1e9;
    $t = time;
    for (1..$n2) { my $fd = syscall(257, -100, $path, 0); syscall(3, $fd); }
    my $b = (time - $t) / $n2 * 1e9;
    printf "%.1f %.1f\n", $a, $b;' "$N_PPID" "$N_OPEN"
}
attach() {
  rm -f /run/ready
  /io/osprey capture --syscalls "$1" --ready-file /run/ready >/dev/null 2>/tmp/consumer.err &
  cpid=$!
  until [ -f /run/ready ]; do sleep 0.05; done
}
detach() { kill -INT $cpid; wait $cpid; grep '^osprey-stats' /tmp/consumer.err | sed "s/^/stats $1 /"; }

for _ in $(seq 1 "$ROUNDS"); do
  echo "absent $(measure)"
  insmod /io/osprey.ko probe_floor=1
  attach execve
  echo "floor $(measure)"
  detach floor
  rmmod osprey
  insmod /io/osprey.ko
  attach execve
  echo "filtered $(measure)"
  detach filtered
  attach getppid,openat,close
  echo "captured $(measure)"
  detach captured
  rmmod osprey
done
