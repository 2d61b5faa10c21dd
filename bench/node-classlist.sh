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
jar="$(ls "$root"/node/target/cairn-node-*-all.jar | head -n1)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ports=($(python3 -c '
import socket
s = [socket.socket() for _ in range(9)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))'))
peers="1=127.0.0.1:${ports[1]},2=127.0.0.1:${ports[4]},3=127.0.0.1:${ports[7]}"
endpoints=""
for i in 1 2 3; do
  c=${ports[$(( (i - 1) * 3 ))]} h=${ports[$(( (i - 1) * 3 + 2 ))]}
  # The launcher's flags, without any archive: the list is of what a member loads.
  java -XX:+UseG1GC -XX:MaxGCPauseMillis=30 -XX:MaxTenuringThreshold=0 -Xmx1g -Xshare:off \
    -XX:DumpLoadedClassList="$work/m$i.classlist" -jar "$jar" --id "$i" --peers "$peers" --data-dir "$work/m$i" \
    --client-addr "127.0.0.1:$c" --http-addr "127.0.0.1:$h" >"$work/m$i.log" 2>&1 &
  pids+=($!)
  endpoints="$endpoints${endpoints:+,}127.0.0.1:$c"
done
export CAIRN_ENDPOINTS="$endpoints"
cairn() { "$root/bin/cairn" "$@"; }
for _ in $(seq 1 100); do cairn --timeout 1s rev >/dev/null 2>&1 && break; sleep 0.2; done
cairn rev >/dev/null || { tail -n 20 "$work"/m*.log; exit 1; }
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
for i in 1 2 3; do
  h=${ports[$(( (i - 1) * 3 + 2 ))]}
  python3 - "http://127.0.0.1:$h" <<'PY'
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
