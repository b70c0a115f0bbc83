# Falco 0.40.0 on its own driver beside `osprey run`, both with Falco's
# stable rules 3.2.0 and every matching rule alerting, watching the same
# real actions in the same boot: actions.sh, or container_actions.sh when
# the test passes that instead. Osprey's alerts are the run's stdout;
# Falco's land in /io/out/falco.json.
set -u
. /io/falco_start.sh
insmod /io/scap.ko
start_falco /io/falco_rules.yaml /io/out/falco.json /io/out/falco.err -o rule_matching=all || exit 1
falco=$falco_pid
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
