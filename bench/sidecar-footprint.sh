#!/usr/bin/env bash
# The sidecar's footprint, by JVM flags: a three-member cluster on free loopback ports, then for
# each set of flags a sidecar watching 50 keys: time from the JVM's start to its first render,
# resident memory at rest, resident memory at its peak under 100 changes a second for 20 s, and
# commit-to-file latency over 300 changes (bench/sidecar-latency.py). Every process it starts
# is stopped when it ends, also when it fails.
#   bench/sidecar-footprint.sh            all variants, a table on stdout
#   BEFORE_JAR=old.jar bench/sidecar-footprint.sh
#                                         also that jar, with the image's flags, alternating with
#                                         this build's, twice each (a before and after in one run)
# Needs `mvn -DskipTests package`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$(ls "$root"/sidecar/target/cairn-sidecar-*-all.jar | head -n1)"
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
s = [socket.socket() for _ in range(10)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))'))
peers="1=127.0.0.1:${ports[1]},2=127.0.0.1:${ports[4]},3=127.0.0.1:${ports[7]}"
endpoints=""
for i in 1 2 3; do
  c=${ports[$(( (i - 1) * 3 ))]} h=${ports[$(( (i - 1) * 3 + 2 ))]}
  "$root/bin/cairn-node" --id "$i" --peers "$peers" --data-dir "$work/m$i" --client-addr "127.0.0.1:$c" \
    --http-addr "127.0.0.1:$h" >"$work/m$i.log" 2>&1 &
  pids+=($!)
  endpoints="$endpoints${endpoints:+,}127.0.0.1:$c"
done
export CAIRN_ENDPOINTS="$endpoints"
http="http://127.0.0.1:${ports[2]}"
for _ in $(seq 1 100); do "$root/bin/cairn" --timeout 1s rev >/dev/null 2>&1 && break; sleep 0.2; done
for k in $(seq 1 50); do "$root/bin/cairn" set "/config/bench/k$k" "value $k" >/dev/null; done
"$root/bin/cairn" set /config/bench/key start >/dev/null

# The class-data-sharing archive of the sidecar's classes, made once from a first run (what the
# image would carry, built at package time).
cds="$work/sidecar.jsa"
java -XX:ArchiveClassesAtExit="$cds" -XX:+UseSerialGC -jar "$jar" --mode init --watch /config/bench --out "$work/cds-out" \
  >"$work/cds.log" 2>&1 || { cat "$work/cds.log"; exit 1; }

# A static archive of just the classes a running sidecar loads, the JDK's and its own, in place of
# the JDK's default archive rather than on top of it: their list from a sidecar that ran a few
# seconds, then the archive dumped from that list.
classlist="$work/sidecar.classlist" static="$work/static.jsa"
java -XX:DumpLoadedClassList="$classlist" -XX:+UseSerialGC -jar "$jar" --watch /config/bench --out "$work/list-out" \
  --namespace bench --app footprint --pod list --health-addr 127.0.0.1:0 >"$work/list.log" 2>&1 &
pid=$!
pids+=("$pid")
while [ ! -e "$work/list-out/key" ]; do kill -0 "$pid" 2>/dev/null || { cat "$work/list.log"; exit 1; }; sleep 0.05; done
sleep 3
kill "$pid"; wait "$pid" 2>/dev/null || true
java -Xshare:dump -XX:SharedClassListFile="$classlist" -XX:SharedArchiveFile="$static" -XX:+UseSerialGC -cp "$jar" \
  >"$work/static.log" 2>&1 || { cat "$work/static.log"; exit 1; }

base="-XX:+UseSerialGC -Xms4m -Xmx24m -Xss256k -XX:MaxMetaspaceSize=40m -XX:ReservedCodeCacheSize=12m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData -XX:MaxDirectMemorySize=8m -Dio.netty.allocator.type=unpooled -Dio.netty.noPreferDirect=true"
small="-XX:+UseSerialGC -Xms2m -Xmx12m -Xss228k -XX:MaxMetaspaceSize=24m -XX:CompressedClassSpaceSize=8m -XX:ReservedCodeCacheSize=6m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData -XX:MaxDirectMemorySize=2m -XX:+UseStringDeduplication -Dio.netty.allocator.type=unpooled -Dio.netty.noPreferDirect=true -Dio.netty.eventLoopThreads=1"
variants=(
  "the image's flags|$base|$jar"
  "+ class-data sharing|$base -XX:SharedArchiveFile=$cds|$jar"
  "smaller heap, metaspace, code cache; one event loop|$small|$jar"
  "smaller + class-data sharing|$small -XX:SharedArchiveFile=$cds|$jar"
  "+ a static archive of the sidecar's classes only|$base -XX:SharedArchiveFile=$static|$jar"
  "smaller + that static archive|$small -XX:SharedArchiveFile=$static|$jar"
)
if [ -n "${BEFORE_JAR:-}" ]; then
  variants=(
    "before ($BEFORE_JAR), the image's flags|$base|$BEFORE_JAR"
    "after, the image's flags|$base|$jar"
    "before, the image's flags|$base|$BEFORE_JAR"
    "after, the image's flags|$base|$jar"
  )
fi

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
printf '| flags | first render (ms after start) | RSS at rest (MiB) | RSS peak, 100 changes/s (MiB) | commit-to-file p50 / p99 |\n|---|---|---|---|---|\n'
n=0
for v in "${variants[@]}"; do
  name="${v%%|*}" rest_of="${v#*|}"
  flags="${rest_of%|*}" vjar="${rest_of##*|}"
  n=$((n + 1)); out="$work/out$n"
  start=$(date +%s%N)
  # shellcheck disable=SC2086
  java $flags -jar "$vjar" --watch /config/bench --out "$out" --namespace bench --app footprint --pod "p$n" \
    --health-addr 127.0.0.1:0 >"$work/sidecar$n.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  while [ ! -e "$out/key" ]; do kill -0 "$pid" 2>/dev/null || { cat "$work/sidecar$n.log"; exit 1; }; sleep 0.005; done
  first=$(( ($(date +%s%N) - start) / 1000000 ))
  sleep 10
  rest=$(rss_kb "$pid")
  # 100 changes a second for 20 s, through the HTTP gateway; the peak sampled every 100 ms.
  python3 - "$http" <<'PY' &
import sys, time, urllib.request
base = sys.argv[1]
t0 = time.time()
for i in range(2000):
    urllib.request.urlopen(urllib.request.Request(f"{base}/v1/kv/config/bench/k{i % 50 + 1}", data=f"load {i}".encode(),
                                                  method="PUT"), timeout=10).read()
    delay = t0 + (i + 1) / 100 - time.time()
    if delay > 0:
        time.sleep(delay)
PY
  load=$!
  peak=$rest
  while kill -0 "$load" 2>/dev/null; do
    r=$(rss_kb "$pid"); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.1
  done
  report=$(python3 "$root/bench/sidecar-latency.py" "$http" "$out" "$pid" 300)
  lat=$(sed -n '1s/.*: p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms.*/\1 \/ \2 ms/p' <<<"$report")
  printf '| %s | %d | %s | %s | %s |\n' "$name" "$first" "$(awk "BEGIN {printf \"%.1f\", $rest / 1024}")" \
    "$(awk "BEGIN {printf \"%.1f\", $peak / 1024}")" "$lat"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
