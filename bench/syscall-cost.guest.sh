# Guest side of scripts/bench-syscalls.sh: per-call cost of getppid, of
# openat+close, and of `dd if=/dev/zero of=/dev/null bs=500` (per block)
# under each module configuration (the global syscall tracepoints, then the
# module's default per-syscall hooks for the last two), all in this one boot, in ROUNDS
# interleaved rounds so that drift in the emulator hits every configuration
# alike; Falco's driver (scap.ko) drained by bench/falco-drain in each round
# too. Prints "<config> <getppid ns> <open+close ns> <dd ns/block>" lines.
set -eu
N_PPID=${N_PPID:-300000}
N_OPEN=${N_OPEN:-100000}
N_DD=${N_DD:-200000}
ROUNDS=${ROUNDS:-3}
measure() {
  perl -MTime::HiRes=time -e '
    my ($n1, $n2, $n3) = @ARGV;
    my $path = "/etc/hostname";
    syscall(110) for 1..1000;
    my $t = time; syscall(110) for 1..$n1; my $a = (time - $t) / $n1 * 1e9;
    $t = time;
    for (1..$n2) { my $fd = syscall(257, -100, $path, 0); syscall(3, $fd); }
    my $b = (time - $t) / $n2 * 1e9;
    $t = time;
    system("dd if=/dev/zero of=/dev/null bs=500 count=$n3 status=none") == 0 or die "dd";
    my $c = (time - $t) / $n3 * 1e9;
    printf "%.1f %.1f %.1f\n", $a, $b, $c;' "$N_PPID" "$N_OPEN" "$N_DD"
}
for _ in $(seq 1 "$ROUNDS"); do
  echo "absent $(measure)"
  insmod /io/osprey.ko probe_floor=1
  attach execve
  echo "floor $(measure)"
  detach floor
  rmmod osprey
  insmod /io/osprey.ko per_syscall_hooks=0
  attach execve
  echo "filtered $(measure)"
  detach filtered
  attach getppid,openat,close,read,write
  echo "captured $(measure)"
  detach captured
  # The same, drained without decoding: the record writes without the drops
  # of a consumer that cannot keep up under emulation.
  attach getppid,openat,close,read,write --no-print
  echo "written $(measure)"
  detach written
  attach_run off
  echo "run $(measure)"
  detach run
  attach_run on
  echo "run2 $(measure)"
  detach run2
  rmmod osprey
  # Per-syscall hooks: only the syscalls of interest are hooked at all.
  insmod /io/osprey.ko per_syscall_hooks=1
  attach execve
  echo "hooks-filtered $(measure)"
  detach hooks-filtered
  attach_run off
  echo "hooks-run $(measure)"
  detach hooks-run
  # The same without the in-kernel predicates (the open filter: /etc/hostname
  # is a path no rule names).
  attach_run off --no-kernel-predicates
  echo "hooks-run-nopred $(measure)"
  detach hooks-run-nopred
  rmmod osprey
  # Falco's driver drained by bench/falco-drain: asking for execve only
  # (filtered), for the syscalls Osprey's captured row asks for, for all.
  insmod /io/scap.ko
  attach_falco execve
  echo "falco-filtered $(measure)"
  detach falco-filtered
  attach_falco getppid,openat,close,read,write
  echo "falco-captured $(measure)"
  detach falco-captured
  attach_falco all
  echo "falco-all $(measure)"
  detach falco-all
  rmmod scap
done
