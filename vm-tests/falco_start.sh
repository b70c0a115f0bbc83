# start_falco RULES OUT ERR [OPTION...]: Falco 0.40 (/io/falco, its
# libraries unpacked from /io/libs.tar, its falco.yaml; scap.ko loaded by
# the caller) with RULES, alerts as JSON lines into OUT, its log into ERR,
# and Falco's `-o` OPTIONs; sets falco_pid and returns once Falco matches
# rules. Sourced by the Falco side-by-side case and bench/falco-engine.guest.sh.
start_falco() {
  local rules=$1 out=$2 err=$3
  shift 3
  if [ ! -d /opt/falco-libs ]; then
    mkdir -p /opt/falco-libs
    tar -C /opt/falco-libs -xf /io/libs.tar
  fi
  LD_LIBRARY_PATH=/opt/falco-libs /io/falco -c /io/falco.yaml -r "$rules" -U -o engine.kind=kmod \
    -o json_output=true -o stdout_output.enabled=true -o syslog_output.enabled=false -o log_syslog=false \
    -o log_stderr=true -o webserver.enabled=false -o watch_config_files=false "$@" >"$out" 2>"$err" &
  falco_pid=$!
  # Falco says when it reads the driver; it starts matching rules a moment later.
  until grep -q "Opening 'syscall' source" "$err"; do
    kill -0 $falco_pid 2>/dev/null || { cat "$err" >&2; return 1; }
    sleep 0.2
  done
  sleep 2
}
