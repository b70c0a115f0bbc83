# The same workload under `osprey run` (Osprey's and Falco's stable rules)
# with the in-kernel predicates and without them (--no-kernel-predicates);
# vm-tests compares the alerts and the events delivered. The first run also
# decodes on a thread of its own, the second on the rules thread: the same
# alerts prove both pipelines too.
set -u
workload() {
  for i in 1 2 3; do
    cat /etc/shadow >/dev/null                        # alerts
    ln -s /etc/shadow /tmp/osprey-link-$i; rm -f /tmp/osprey-link-$i
    cat /no/such/file 2>/dev/null                     # failed opens ...
    ls /nonexistent-$i 2>/dev/null
    python3 -c 'import json, email.message, http.client, unittest'  # ... a module search's many
    sh -c 'command -v not-a-command' >/dev/null       # a PATH search
    chmod 4755 /no/such/file 2>/dev/null              # a failed chmod
    mkdir /tmp/osprey-d-$i && rmdir /tmp/osprey-d-$i
  done
}
run() {
  name=$1
  shift
  rm -f /run/ready
  /io/osprey run --rules /io/osprey_rules.yaml --rules /io/falco_rules.yaml --ready-file /run/ready "$@" \
    >"$OSPREY_OUT/alerts-$name.jsonl" 2>"$OSPREY_OUT/consumer-$name.err" &
  pid=$!
  until [ -f /run/ready ]; do sleep 0.05; done
  workload
  sleep 1
  kill -INT $pid
  wait $pid
}
run on --decode-thread on
run off --no-kernel-predicates --decode-thread off
