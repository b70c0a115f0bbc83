# Falco 0.40.0 on its own driver beside `osprey run`, both with Falco's
# stable rules 3.2.0 and every matching rule alerting, watching the same
# real actions in the same boot: actions.sh, or container_actions.sh when
# the test passes that instead. Osprey's alerts are the run's stdout;
# Falco's land in /io/out/falco.json.
set -u
mkdir -p /opt/falco-libs
tar -C /opt/falco-libs -xf /io/libs.tar
insmod /io/scap.ko
LD_LIBRARY_PATH=/opt/falco-libs /io/falco -c /io/falco.yaml -r /io/falco_rules.yaml -U \
  -o engine.kind=kmod -o rule_matching=all -o json_output=true -o stdout_output.enabled=true \
  -o syslog_output.enabled=false -o log_syslog=false -o log_stderr=true -o webserver.enabled=false \
  -o watch_config_files=false >/io/out/falco.json 2>/io/out/falco.err &
falco=$!
# Falco says when it reads the driver; it starts matching rules a moment later.
until grep -q "Opening 'syscall' source" /io/out/falco.err; do
  kill -0 $falco 2>/dev/null || { cat /io/out/falco.err >&2; exit 1; }
  sleep 0.2
done
sleep 2
for actions in /io/actions.sh /io/container_actions.sh; do
  if [ -f $actions ]; then
    . $actions
  fi
done
sleep 2
kill -INT $falco
wait $falco || true
rmmod scap
echo "falco-drops $(grep -c '"rule":"Falco internal: syscall event drop"' /io/out/falco.json)" >&2
