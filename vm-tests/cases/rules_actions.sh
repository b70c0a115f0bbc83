# Osprey's default rules and Falco's stable rules on real actions (actions.sh).
set -u
. /io/actions.sh
# The consumer runs with two capabilities only.
grep -E '^Cap(Eff|Prm|Bnd|Inh)' "/proc/$(pidof osprey)/status" >/io/out/consumer-caps.txt
# What Prometheus would scrape (metrics are refreshed once a second).
sleep 1.2
python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8765/metrics").read().decode())' \
  >/io/out/metrics.txt
