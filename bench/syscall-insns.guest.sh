# Guest side of scripts/bench-syscall-insns.sh: /io/insn-loop (N getppid,
# then N openat+close, each between markers the QEMU plugin counts
# instructions between) on CPU 0 under each module configuration, the
# consumer pinned to CPU 1 so that only the syscalls' own cost is counted.
# Prints "config <name>" before each run, in the order of the plugin's
# windows (two per run).
set -eu
N=${N:-20000}
CONSUMER_CPUS=1
# ONLY=<name>: measure that configuration alone, and leave the guest's
# symbols in $OSPREY_OUT/kallsyms (scripts/bench-syscall-insns.sh --profile).
measure() {
  [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ] || return 0
  echo "config $1" >&2
  if [ -n "${ONLY:-}" ]; then
    echo 0 >/proc/sys/kernel/kptr_restrict
    grep ' [tT] ' /proc/kallsyms >"$OSPREY_OUT/kallsyms"
  fi
  taskset -c 0 /io/insn-loop "$N"
}
measure absent
# The kernel's own event tracer writing the same tracepoints' events into its
# ring buffer, with no reader: the syscall's number and result (an exit) or
# number and six arguments (an enter), a far smaller record than Osprey's.
tracing=/sys/kernel/tracing
[ -e "$tracing/events" ] || mount -t tracefs tracefs "$tracing"
echo 1 >"$tracing/events/raw_syscalls/sys_exit/enable"
measure ftrace-exits
echo 1 >"$tracing/events/raw_syscalls/sys_enter/enable"
measure ftrace
echo 0 >"$tracing/events/raw_syscalls/enable"
insmod /io/osprey.ko probe_floor=1
attach execve
measure floor
detach floor
rmmod osprey
insmod /io/osprey.ko per_syscall_hooks=0
attach execve
measure filtered
detach filtered
attach getppid,openat,close --no-print
measure captured
detach captured
attach getppid,openat,close --no-print --exits-only
measure captured-exits
detach captured-exits
attach_run off
measure run
detach run
rmmod osprey
insmod /io/osprey.ko per_syscall_hooks=1
attach execve
measure hooks-filtered
detach hooks-filtered
attach getppid,openat,close --no-print
measure hooks-captured
detach hooks-captured
attach getppid,openat,close --no-print --exits-only
measure hooks-captured-exits
detach hooks-captured-exits
attach_run off
measure hooks-run
detach hooks-run
rmmod osprey
# Falco's driver in the same boot, drained by bench/falco-drain: asking for
# execve only (the loops' syscalls reach the driver and are dropped there),
# for the loops' syscalls (enters and exits, as the driver records them),
# and for every syscall.
insmod /io/scap.ko
attach_falco execve
measure falco-filtered
detach falco-filtered
attach_falco getppid,openat,close
measure falco-captured
detach falco-captured
attach_falco all
measure falco-all
detach falco-all
rmmod scap
