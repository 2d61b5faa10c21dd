#!/usr/bin/env bash
# Writes docker/cairn-node.classlist: the classes the members of a working three-member cluster
# load (each member's list, in load order, joined without repeats), from which bin/cairn-node,
# docker/node.Dockerfile and bin/cairn-bench dump a class-data-sharing archive that saves a
# member about 0.3 s of its start. Run it after a change to what a member loads; classes the
# list lacks still load, only without the archive's head start. The cluster runs on free
# loopback ports in a temporary directory; every process it starts is stopped when it ends,
# also when it fails. Needs `mvn -DskipTests package`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ls "$root"/node/target/cairn-node-*-all.jar >/dev/null 2>&1 || { echo "node-classlist: build first: mvn -DskipTests package" >&2; exit 2; }
# shellcheck source=bench/loopback-cluster.sh
source "$root/bench/loopback-cluster.sh"
bench_workspace

# The launcher's flags, without any archive: the list is of what a member loads.
export CAIRN_NODE_JAVA_OPTS="-XX:+UseG1GC -XX:MaxGCPauseMillis=30 -XX:MaxTenuringThreshold=0 -Xmx1g -Xshare:off -XX:DumpLoadedClassList=$work/m{member}.classlist"
start_loopback_cluster "$work"
export CAIRN_ENDPOINTS="$endpoints"
cairn() { "$root/bin/cairn" "$@"; }
# What members do all day: writes, reads, a listing, a transaction, watches, the HTTP gateway,
# metrics and status, a snapshot.
for k in $(seq 1 20); do cairn set "/config/list/k$k" "value $k" >/dev/null; done
cairn get /config/list/k1 >/dev/null
cairn ls /config/list >/dev/null
cairn walk '/config/**' >/dev/null
cairn txn --if '/config/list/k1 value = value 1' --then 'set /config/list/k1 again' >/dev/null
cairn watch --count 1 '/config/list/*' >/dev/null &
watcher=$!
pids+=("$watcher")
sleep 1
cairn set /config/list/k2 changed >/dev/null
wait "$watcher" || true
cairn members >/dev/null
cairn snapshot save "$work/snap.db" >/dev/null
for base in "${http_bases[@]}"; do
  python3 - "$base" <<'PY'
import sys, urllib.request
base = sys.argv[1]
urllib.request.urlopen(urllib.request.Request(base + "/v1/kv/config/list/http", data=b"v", method="PUT"), timeout=10).read()
for path in ("/v1/kv/config/list/k1", "/v1/status", "/metrics", "/v1/kv/config/list/?keys"):
    try:
        urllib.request.urlopen(base + path, timeout=10).read()
    except Exception:
        pass
PY
done
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
# One list: member 1's order, then what the others loaded besides; no dynamic proxies (no
# archive holds them).
cat "$work/m1.classlist" "$work/m2.classlist" "$work/m3.classlist" | grep -v '\$Proxy[0-9]' | awk '!seen[$0]++' \
  >"$root/docker/cairn-node.classlist"
echo "docker/cairn-node.classlist: $(grep -vc '^[#@]' "$root/docker/cairn-node.classlist") classes"
