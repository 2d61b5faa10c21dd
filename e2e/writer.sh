#!/usr/bin/env bash
# writer.sh CLUSTER PREFIX OUT STOPFILE: writes PREFIX/1, PREFIX/2, ... (value = the index)
# through the members' HTTP gateways until STOPFILE exists (at most 10 minutes, 20,000 writes).
# A write goes to one member after another until one acknowledges it, for up to 15 s; OUT
# gets "ok INDEX REV" or "failed INDEX". The member list is read again after a failure (pods
# come back at new addresses).
set -uo pipefail
cluster=$1 prefix=$2 out=$3 stop=$4
endpoints() {
  "$K8S_BIN/kubectl" get pods -l "app.kubernetes.io/instance=$cluster,app.kubernetes.io/name=cairn" \
    -o 'jsonpath={range .items[*]}{.status.podIP}{" "}{end}'
}
ips=$(endpoints)
start=$SECONDS
for ((i = 1; i <= 20000 && SECONDS - start < 600; i++)); do
  [ -e "$stop" ] && break
  t0=$SECONDS done=""
  while [ -z "$done" ] && ((SECONDS - t0 < 15)); do
    for ip in $ips; do
      if body=$(curl -fsS -m 3 -XPUT --data-binary "$i" "http://$ip:8048/v1/kv$prefix/$i" 2>/dev/null); then
        done=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["rev"])' <<<"$body" 2>/dev/null || echo "?")
        break
      fi
    done
    [ -n "$done" ] || { sleep 0.2; ips=$(endpoints); }
  done
  if [ -n "$done" ]; then echo "ok $i $done"; else echo "failed $i"; fi >>"$out"
done
