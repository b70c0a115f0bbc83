#!/usr/bin/env bash
# Boot Debian's stock kernel in QEMU (TCG) with the Osprey module and consumer,
# run SCRIPT as root with /bin/sh semantics (bash), and report.
#
#   scripts/vm-run.sh [--capture] [--rules FILE]... [--config FILE] SCRIPT
#
# Options:
#   --capture            consumer runs `osprey capture --json` (default: `osprey run`)
#   --consumer-args S    extra arguments for the consumer
#   --rules FILE         rule file for `osprey run` (repeatable)
#   --config FILE        config file for `osprey run`
#   --no-consumer        load the module but start no consumer
#   --no-module          neither module nor consumer (baselines)
#   --kmod-params S      insmod parameters, e.g. "ring_pages=64 probe_floor=1"
#   --out DIR            copy what the guest wrote to $OSPREY_OUT into DIR
#   --file PATH          make PATH available in the guest as /io/<name> (repeatable)
#   --ktree              share the prepared kernel tree read-only (9p tag `ktree`)
#   --stall S            kill the VM when the guest has written nothing to /io
#                        for S seconds (default 300, or OSPREY_VM_STALL): a
#                        test fails on a stall, never on how long it ran
#   --timeout S          also kill the VM after S seconds in all (default: never)
#   --live               stream consumer output to the terminal as it happens
#   --qemu-args S        extra QEMU arguments (word-split), e.g. a TCG plugin
#   --kernel-args S      extra kernel command line, e.g. "syscall.x32=y"
#
# OSPREY_BIN and OSPREY_KMOD name another osprey binary and module to test
# (default: scripts/build.sh's). OSPREY_KERNEL=debug boots the KASAN +
# lockdep kernel of scripts/build-debug-kernel.sh (everything built in, no
# initramfs) with the module built for it.
#
# stdout: the consumer's output (JSON lines). stderr: the script's output, the
# consumer's stderr and, on failure, the VM console. Exit status: the script's;
# 124 on a stall (or --timeout), 125 when the VM died without reporting.
#
# Progress is what the guest writes to the 9p share /io: the test's output,
# the consumer's, and files under $OSPREY_OUT. The console does not count (a
# hung kernel keeps printing there). A test step that may run silently for
# minutes prints a line when it starts and when it ends.
source "$(dirname "$0")/lib.sh"

mode=run consumer_args="" kmod_params="" out_dir="" stall=${OSPREY_VM_STALL:-300} timeout="" live="" load_module=1 ktree=()
rules=() config="" files=() qemu_args=() kernel_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --capture) mode=capture ;;
    --consumer-args) consumer_args=$2; shift ;;
    --rules) rules+=("$2"); shift ;;
    --config) config=$2; shift ;;
    --no-consumer) mode=none ;;
    --no-module) mode=none load_module="" ;;
    --kmod-params) kmod_params=$2; shift ;;
    --qemu-args) read -ra qemu_args <<<"$2"; shift ;;
    --kernel-args) kernel_args=$2; shift ;;
    --out) out_dir=$2; shift ;;
    --file) files+=("$2"); shift ;;
    --stall) stall=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --live) live=1 ;;
    --ktree) ktree=(-fsdev "local,id=ktree,path=$KTREE,security_model=none,readonly=on"
                    -device virtio-9p-pci,fsdev=ktree,mount_tag=ktree) ;;
    -h | --help) sed -n '2,38p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
[ $# -eq 1 ] || die "usage: scripts/vm-run.sh [options] SCRIPT (see --help)"
script=$1
[ -f "$script" ] || die "no such script: $script"
[ -f "$OSPREY_CACHE/rootfs.ext4" ] || die "no VM image: run scripts/setup.sh"
osprey_bin=${OSPREY_BIN:-$REPO/target/release/osprey}
[ -x "$osprey_bin" ] || die "no osprey binary at $osprey_bin: run scripts/build.sh"
case ${OSPREY_KERNEL:-stock} in
  stock)
    kernel_label=$(kernel_release) module=${OSPREY_KMOD:-$OSPREY_CACHE/out/osprey.ko}
    boot=(-kernel "$OSPREY_CACHE/vmlinuz" -initrd "$OSPREY_CACHE/initramfs.cpio.gz") init=""
    ;;
  debug)
    kernel_label="debug (KASAN, lockdep)" module=$OSPREY_CACHE/debug/osprey.ko
    boot=(-kernel "$OSPREY_CACHE/debug/vmlinuz") init="init=/sbin/osprey-init rw"
    stall=$((stall * 3))   # KASAN and lockdep slow every step down
    [ -f "$OSPREY_CACHE/debug/vmlinuz" ] || die "no debug kernel: run scripts/build-debug-kernel.sh"
    ;;
  *) die "OSPREY_KERNEL must be stock or debug" ;;
esac
[ -f "$module" ] || die "no module at $module: run scripts/build.sh (or scripts/build-debug-kernel.sh)"

io=$(mktemp -d "${TMPDIR:-/tmp}/osprey-vm.XXXXXX")
[ -n "${OSPREY_VM_KEEP:-}" ] && log "vm: keeping $io" || trap 'rm -rf "$io"' EXIT
cp "$script" "$io/test.sh"
cp "$osprey_bin" "$io/osprey"
cp "$module" "$io/osprey.ko"
mkdir -p "$io/rules" "$io/out"
for f in "${files[@]}"; do cp "$f" "$io/"; done

case $mode in
  capture) consumer="capture --json $consumer_args" ;;
  run)
    consumer="run"
    for r in "${rules[@]}"; do cp "$r" "$io/rules/"; consumer+=" --rules /io/rules/$(basename "$r")"; done
    [ -n "$config" ] && { cp "$config" "$io/osprey.yaml"; consumer+=" --config /io/osprey.yaml"; }
    consumer+=" $consumer_args"
    ;;
  none) consumer="" ;;
esac
events=/io/events.jsonl
[ -n "$live" ] && events=/dev/console

cat >"$io/run.sh" <<GUEST
#!/bin/bash
# Generated by scripts/vm-run.sh: load, attach, run the test, detach.
set -u
export OSPREY_OUT=/io/out PATH=/io:\$PATH
# wait_ready PID FILE [ERRORS]: waits for consumer PID to write its ready
# file FILE, as long as it runs (one that never gets ready stalls the test,
# which the host then ends). If the consumer exits first, it says so, shows
# the consumer's ERRORS file, and fails. Exported: test scripts use it.
wait_ready() {
  while [ ! -f "\$2" ]; do
    if ! kill -0 "\$1" 2>/dev/null; then
      [ -f "\$2" ] && return 0
      echo "the consumer (pid \$1) exited before it was ready" >&2
      [ -n "\${3:-}" ] && [ -f "\$3" ] && cat "\$3" >&2
      return 1
    fi
    sleep 0.05
  done
}
export -f wait_ready
if [ -n "$load_module" ]; then
  insmod /io/osprey.ko $kmod_params || { echo "vm-run: insmod failed" >&2; exit 90; }
fi
if [ -n "$consumer" ]; then
  /io/osprey $consumer --ready-file /run/osprey.ready >$events 2>/io/consumer.err &
  cpid=\$!
  wait_ready \$cpid /run/osprey.ready || { echo "vm-run: consumer did not start" >&2; exit 91; }
fi
bash /io/test.sh >/io/test.out 2>/io/test.err
rc=\$?
if [ -n "$consumer" ]; then
  kill -INT \$cpid 2>/dev/null
  wait \$cpid || echo "vm-run: consumer exited with \$?" >>/io/test.err
fi
dmesg >/io/dmesg.txt
exit \$rc
GUEST

log "vm: booting $kernel_label ($mode) for $(basename "$script")"
console=$io/console.log
qemu=(qemu-system-x86_64 -accel tcg -cpu qemu64 -m 1024 -smp 2 -nographic -no-reboot -nodefaults "${boot[@]}"
  -drive "file=$OSPREY_CACHE/rootfs.ext4,format=raw,if=virtio,snapshot=on,cache=unsafe"
  -fsdev "local,id=io,path=$io,security_model=none" -device virtio-9p-pci,fsdev=io,mount_tag=io "${ktree[@]}"
  "${qemu_args[@]}")
cmdline="console=ttyS0 panic=-1 root=/dev/vda rootfstype=ext4 quiet $init $kernel_args"

# What the guest has written to /io so far: changes whenever the test does.
progress_mark() {
  { find "$io" -path "$console" -prune -o -type f -printf '%s %T@ %p\n' 2>/dev/null || true; } | cksum
}

# watched CMD...: runs the VM, killing it once it stalls (or outlives
# --timeout); sets qrc to its exit status, 124 when it was killed. The VM
# keeps this script's input (a background job would get /dev/null).
watched() {
  exec 3<&0
  "$@" 0<&3 3<&- &
  local qpid=$! mark seen since=$SECONDS began=$SECONDS why=""
  seen=$(progress_mark)
  while kill -0 "$qpid" 2>/dev/null; do
    sleep 2
    mark=$(progress_mark)
    if [ "$mark" != "$seen" ]; then
      seen=$mark since=$SECONDS
    elif ((SECONDS - since >= stall)); then
      why="no progress for ${stall}s"
    fi
    if [ -n "$timeout" ] && ((SECONDS - began >= timeout)); then
      why="still running after ${timeout}s"
    fi
    if [ -n "$why" ]; then
      kill "$qpid" 2>/dev/null || true
      wait "$qpid" 2>/dev/null || true
      log "vm: $why; killed"
      qrc=124
      exec 3<&-
      return
    fi
  done
  qrc=0
  wait "$qpid" || qrc=$?
  exec 3<&-
}

start=$(date +%s.%N)
if [ -n "$live" ]; then
  watched "${qemu[@]}" -serial stdio -append "$cmdline loglevel=1"
else
  watched "${qemu[@]}" -serial "file:$console" -append "$cmdline loglevel=4" </dev/null
fi
log "vm: done in $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)") s"

for f in test.out test.err consumer.err err.log; do
  [ -s "$io/$f" ] && { printf -- '--- %s\n' "$f" >&2; cat "$io/$f" >&2; }
done
[ -f "$io/events.jsonl" ] && cat "$io/events.jsonl"
[ -n "$out_dir" ] && { mkdir -p "$out_dir"; cp -a "$io/out/." "$io/dmesg.txt" "$out_dir/" 2>/dev/null || true; }
if [ "$qrc" = 124 ]; then
  log "vm: console tail:"; tail -30 "$console" >&2 || true
  exit 124
fi
if [ ! -f "$io/rc" ]; then
  log "vm: the guest died without reporting (qemu exit $qrc); console tail:"; tail -40 "$console" >&2 || true
  exit 125
fi
rc=$(cat "$io/rc")
[ "$rc" = 0 ] || { log "vm: script exited $rc; console tail:"; tail -20 "$console" >&2 || true; }
exit "$rc"
