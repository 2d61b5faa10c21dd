#!/usr/bin/env bash
# The sidecar's footprint as its image runs it: the Java runtime jlinked with the modules of
# docker/sidecar.Dockerfile, the class-data-sharing archive that image dumps from
# docker/cairn-sidecar.classlist, and its ENTRYPOINT's flags, against a three-member cluster on
# free loopback ports. For each variant, a sidecar watching 50 keys: time from the JVM's start to
# its first render, resident memory at rest, resident memory at its peak under 100 changes a
# second for 20 s, and commit-to-file latency over 300 changes (bench/sidecar-latency.py); and,
# with a second sidecar of the same variant beside it at rest (two pods on one node), that second
# one's memory of its own (USS: its private pages) and its share (PSS: shared pages split
# between the processes that map them), which is what one more pod costs its node. Every
# process it starts is stopped when it ends, also when it fails.
#   bench/sidecar-footprint.sh            the image (its files read from disk); the image with
#                                         its JVM's library just written (a node that has just
#                                         unpacked it); the image with its archive relocated to a
#                                         random address, the JDK's default (the image maps it
#                                         where it was dumped for); the image without its archive
#                                         (the JDK's default one instead); a table on stdout
#   BEFORE_JAR=old.jar bench/sidecar-footprint.sh
#                                         that jar as 639a5c6's image ran it (jdk.jfr in the
#                                         runtime, the JDK's archive, its flags), alternating with
#                                         this image, twice each (a before and after in one run)
#   bench/sidecar-footprint.sh --update-classlist
#                                         also writes this run's class list to
#                                         docker/cairn-sidecar.classlist (after changing what a
#                                         sidecar loads) and measures with it
# Needs `mvn -DskipTests package` and a JDK with jmods (jlink).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$(ls "$root"/sidecar/target/cairn-sidecar-*-all.jar | head -n1)"
update_classlist=false
case "${1:-}" in
  --update-classlist) update_classlist=true ;;
  "") ;;
  *) echo "usage: bench/sidecar-footprint.sh [--update-classlist]" >&2; exit 2 ;;
esac
jhome="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
[ -d "$jhome/jmods" ] || { echo "sidecar-footprint: $jhome has no jmods, so no runtime like the image's can be made here" >&2; exit 1; }
# shellcheck source=bench/loopback-cluster.sh
source "$root/bench/loopback-cluster.sh"
bench_workspace

# The image's runtime, and the one before jdk.jfr left it.
dockerfile="$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$root/docker/sidecar.Dockerfile")"
modules="$(sed -n 's/.*--add-modules \([^ ]*\).*/\1/p' <<<"$dockerfile")"
image_flags="$(python3 -c '
import json, sys
for line in sys.stdin.read().splitlines():
    if line.startswith("ENTRYPOINT"):
        words = json.loads(line[len("ENTRYPOINT"):])
        print(" ".join(w for w in words[1:words.index("-jar")] if not w.startswith("-XX:SharedArchiveFile=")))' <<<"$dockerfile")"
[ -n "$modules" ] && [ -n "$image_flags" ] || { echo "sidecar-footprint: cannot read docker/sidecar.Dockerfile" >&2; exit 1; }
for rt in image:"$modules" before:"$modules,jdk.jfr"; do
  jlink --add-modules "${rt#*:}" --strip-debug --no-man-pages --no-header-files --output "$work/${rt%%:*}-jre"
  "$work/${rt%%:*}-jre/bin/java" -Xshare:dump >/dev/null
done
java_image="$work/image-jre/bin/java"

start_loopback_cluster "$work"
export CAIRN_ENDPOINTS="$endpoints"
for k in $(seq 1 50); do "$root/bin/cairn" set "/config/bench/k$k" "value $k" >/dev/null; done
"$root/bin/cairn" set /config/bench/key start >/dev/null

# The classes a running sidecar loads, listed by the image's runtime (without the dynamic proxies,
# which no archive holds); then the archive the image dumps, from the list it carries.
fresh="$work/sidecar.classlist"
"$java_image" -XX:DumpLoadedClassList="$work/loaded" $image_flags -jar "$jar" --watch /config/bench --out "$work/list-out" \
  --namespace bench --app footprint --pod list --health-addr 127.0.0.1:0 >"$work/list.log" 2>&1 &
pid=$!
pids+=("$pid")
while [ ! -e "$work/list-out/key" ]; do kill -0 "$pid" 2>/dev/null || { cat "$work/list.log"; exit 1; }; sleep 0.05; done
sleep 3
kill "$pid"; wait "$pid" 2>/dev/null || true
grep -v '\$Proxy[0-9]' "$work/loaded" >"$fresh"
classlist="$root/docker/cairn-sidecar.classlist"
if $update_classlist; then
  cp "$fresh" "$classlist"
fi
missing=$(comm -23 <(grep -v '^[#@]' "$fresh" | sort) <(grep -v '^[#@]' "$classlist" | sort) | wc -l)
echo "A running sidecar loaded $(grep -vc '^[#@]' "$fresh") classes; $missing of them are not in docker/cairn-sidecar.classlist" \
  "(bench/sidecar-footprint.sh --update-classlist brings it up to date)."
echo
archive="$work/cairn-sidecar.jsa"
"$java_image" -Xshare:dump -XX:SharedClassListFile="$classlist" -XX:SharedArchiveFile="$archive" -XX:+UseSerialGC -Xlog:cds=error \
  -cp "$jar" >"$work/dump.log" 2>&1 || { cat "$work/dump.log"; exit 1; }
# A JVM that cannot map an archive runs without it, silently: make sure the image's flags can.
# shellcheck disable=SC2086
"$java_image" $image_flags -XX:SharedArchiveFile="$archive" -Xshare:on -cp "$jar" io.cairn.sidecar.SidecarMain --version >/dev/null \
  || { echo "sidecar-footprint: the image's flags cannot map the archive" >&2; exit 1; }

before_flags="-XX:+UseSerialGC -Xms4m -Xmx24m -Xss256k -XX:MaxMetaspaceSize=40m -XX:ReservedCodeCacheSize=12m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData -XX:MaxDirectMemorySize=8m -Dio.netty.allocator.type=unpooled -Dio.netty.noPreferDirect=true"
image="$java_image|$image_flags -XX:SharedArchiveFile=$archive|$jar"
variants=(
  "the image|$image"
  "the image, its JVM's library just written|$image|written"
  "the image, its archive relocated (the JDK's default)|$java_image|$image_flags -XX:ArchiveRelocationMode=1 -XX:SharedArchiveFile=$archive|$jar"
  "the image without its archive (the JDK's)|$java_image|$image_flags|$jar"
)
if [ -n "${BEFORE_JAR:-}" ]; then
  before="before ($BEFORE_JAR, as 639a5c6's image ran it)|$work/before-jre/bin/java|$before_flags|$BEFORE_JAR"
  variants=("$before" "after, the image|$image" "$before" "after, the image|$image")
fi

# What of a file the page cache holds, and how, decides how much of it a process that maps it has
# resident: the kernel maps the cached neighbours of a faulting page with it, and a file just
# written sits in the cache in large pieces (17-18 MiB of the JVM's library resident, against 13
# read back from disk, on this machine's kernel, 6.18). Every variant starts with the runtime, the
# archive and the jar dropped from the cache, so it reads them as a node reads an image's layers
# from disk; "written" then writes the JVM's library afresh, as a node that has just unpacked the
# image has it (same bytes and time stamp, a new file).
drop_cached() {
  python3 - "$@" <<'PY'
import os, sys
for top in sys.argv[1:]:
    paths = [top] if os.path.isfile(top) else [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# A process's own pages (USS) and its proportional share (PSS), in MiB.
uss_pss() { awk '/^Pss:/ {p = $2} /^Private_(Clean|Dirty):/ {u += $2} END {printf "%.1f / %.1f", u / 1024, p / 1024}' "/proc/$1/smaps_rollup"; }
# Starts a sidecar of a variant watching /config/bench into $1 as pod $2; sets $pid.
start_sidecar() {
  # shellcheck disable=SC2086
  "$vjava" $flags -jar "$vjar" --watch /config/bench --out "$1" --namespace bench --app footprint --pod "$2" \
    --health-addr 127.0.0.1:0 >"$work/sidecar-$2.log" 2>&1 &
  pid=$!
  pids+=("$pid")
}
await_render() {
  while [ ! -e "$1/key" ]; do kill -0 "$2" 2>/dev/null || { cat "$work/sidecar-$3.log"; exit 1; }; sleep 0.005; done
}
printf '| flags | first render (ms after start) | RSS at rest (MiB) | RSS peak, 100 changes/s (MiB) | commit-to-file p50 / p99 | a second one at rest: USS / PSS (MiB) |\n|---|---|---|---|---|---|\n'
n=0
for v in "${variants[@]}"; do
  IFS='|' read -r name vjava flags vjar cache <<<"$v"
  drop_cached "$work/image-jre" "$work/before-jre" "$archive" "$jar" ${BEFORE_JAR:+"$BEFORE_JAR"}
  if [ "${cache:-}" = written ]; then
    lib="$(dirname "$(dirname "$vjava")")/lib/server/libjvm.so"
    # In one write, as jlink or an image's unpacking does (cp copies it in the kernel, which
    # leaves the cache as a read from disk would).
    python3 - "$lib" <<'PY'
import os, sys
p = sys.argv[1]
st = os.stat(p)
data = open(p, "rb").read()
with open(p + ".new", "wb") as f:
    f.write(data)
os.chmod(p + ".new", st.st_mode)
os.utime(p + ".new", ns=(st.st_atime_ns, st.st_mtime_ns))
os.rename(p + ".new", p)
PY
  fi
  n=$((n + 1)); out="$work/out$n"
  start=$(date +%s%N)
  start_sidecar "$out" "p$n"
  await_render "$out" "$pid" "p$n"
  first=$(( ($(date +%s%N) - start) / 1000000 ))
  sleep 10
  rest=$(rss_kb "$pid")
  main=$pid
  start_sidecar "$out-b" "p$n-b"
  await_render "$out-b" "$pid" "p$n-b"
  sleep 10
  second=$(uss_pss "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=$main
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
  printf '| %s | %d | %s | %s | %s | %s |\n' "$name" "$first" "$(awk "BEGIN {printf \"%.1f\", $rest / 1024}")" \
    "$(awk "BEGIN {printf \"%.1f\", $peak / 1024}")" "$lat" "$second"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
