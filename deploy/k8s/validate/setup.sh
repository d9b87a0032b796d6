#!/usr/bin/env bash
# Installs what the offline validation of deploy/k8s needs, into <repo>/.local/k8s-tools
# (git-ignored), from package registries only; idempotent (a stamp names the pinned versions).
#
#   kustomize, kubeconform       go install (Go module proxy)
#   Kubernetes OpenAPI v3 spec   Go module k8s.io/kubernetes (api/openapi-spec/v3)
#   KEDA CRDs                    Go module github.com/kedacore/keda/v2 (config/crd/bases)
#   prometheus-operator CRDs     Go module github.com/prometheus-operator/prometheus-operator
#                                (example/prometheus-operator-crd)
#   Strimzi and CloudNativePG    npm @kubernetes-models/strimzi-kafka-operator and
#                                @kubernetes-models/cloudnative-pg (models generated from the
#                                operators' CRDs: runtime validators and TypeScript types),
#                                with npm typescript for the strict (excess property) check
#
# The Kubernetes OpenAPI and the KEDA/prometheus-operator CRDs are converted to kubeconform's
# JSON Schemas (strict: unknown fields are errors) by schemas.py.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TOOLS="$ROOT/.local/k8s-tools"

KUSTOMIZE_VERSION=v5.8.1
KUBECONFORM_VERSION=v0.7.0
KUBERNETES_VERSION=v1.34.2
KEDA_VERSION=v2.21.0
PROMETHEUS_OPERATOR_VERSION=v0.85.0
NPM_PACKAGES=(
  "@kubernetes-models/strimzi-kafka-operator@1.0.1"
  "@kubernetes-models/cloudnative-pg@2.0.0"
  "typescript@5.9.3"
)
STAMP="$TOOLS/.stamp"
WANT="$KUSTOMIZE_VERSION $KUBECONFORM_VERSION $KUBERNETES_VERSION $KEDA_VERSION $PROMETHEUS_OPERATOR_VERSION ${NPM_PACKAGES[*]} $(sha256sum "$HERE/schemas.py" | cut -c1-16)"

log() { echo "[k8s-tools] $*"; }
die() { echo "[k8s-tools] ERROR: $*" >&2; exit 1; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$TOOLS/bin/kustomize" ] && [ -x "$TOOLS/bin/kubeconform" ]; then
  exit 0
fi

apt_install() {
  log "installing (apt): $*"
  env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || apt_install golang-go
GO="$(command -v go || echo /usr/local/go/bin/go)"
command -v node >/dev/null 2>&1 || apt_install nodejs
command -v npm >/dev/null 2>&1 || apt_install npm

mkdir -p "$TOOLS/bin" "$TOOLS/sources"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
log "go install kustomize $KUSTOMIZE_VERSION and kubeconform $KUBECONFORM_VERSION"
GOBIN="$TOOLS/bin" "$GO" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
GOBIN="$TOOLS/bin" "$GO" install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"

module_dir() {  # module_dir MODULE@VERSION -> the module's extracted directory
  local dir
  dir="$("$GO" mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or ""); sys.exit(1 if d.get("Error") else 0)')" \
    || die "go mod download $1 failed"
  echo "$dir"
}
log "go mod download: Kubernetes $KUBERNETES_VERSION, KEDA $KEDA_VERSION, prometheus-operator $PROMETHEUS_OPERATOR_VERSION"
K8S_DIR="$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")"
KEDA_DIR="$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
PROM_DIR="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"

log "npm install: ${NPM_PACKAGES[*]}"
mkdir -p "$TOOLS/npm"
[ -f "$TOOLS/npm/package.json" ] || echo '{"name": "datapark-k8s-validate", "private": true, "type": "module"}' > "$TOOLS/npm/package.json"
npm install --prefix "$TOOLS/npm" --no-audit --no-fund --silent --engine-strict=false "${NPM_PACKAGES[@]}" \
  || die "npm install failed"

log "converting the OpenAPI spec and CRDs to JSON Schemas"
# the project's Python (PyYAML), set up by `make deps`
PY="$ROOT/.venv/bin/python"; [ -x "$PY" ] || PY=python3
rm -rf "$TOOLS/schemas"
"$PY" "$HERE/schemas.py" "$TOOLS/schemas" \
  --openapi "$K8S_DIR/api/openapi-spec/v3" \
  --crds "$KEDA_DIR/config/crd/bases" \
  --crds "$PROM_DIR/example/prometheus-operator-crd"

echo "$WANT" > "$STAMP"
log "ready: $TOOLS"
