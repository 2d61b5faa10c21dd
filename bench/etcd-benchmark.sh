#!/usr/bin/env bash
# Builds etcd's own Go benchmark tool (go.etcd.io/etcd/v3/tools/benchmark) from the Go module
# proxy, once, into ~/.cache/cairn-bench, and prints its path. `bin/cairn-bench --etcd-crosscheck`
# runs it beside the harness's jetcd client against the same etcd members.
#   bench/etcd-benchmark.sh
set -euo pipefail
version=${ETCD_BENCHMARK_VERSION:-v3.5.11}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/cairn-bench
bin="$cache/etcd-benchmark-$version"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "etcd-benchmark.sh: needs Go (and the Go module proxy)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"
(
  cd "$work"
  go mod init cairn-bench/etcd-benchmark >/dev/null 2>&1
  go get "go.etcd.io/etcd/v3/tools/benchmark@$version" >&2
  go build -o "$bin" go.etcd.io/etcd/v3/tools/benchmark >&2
)
echo "$bin"
