#!/usr/bin/env bash
# The console's browser test: three members on free loopback ports, Playwright driving Debian's
# chromium against the console one of them serves; screenshots of each state go to
# ui-test/screenshots/. Needs `mvn -DskipTests package`, node_modules (npm ci here) and
# /usr/bin/chromium. Every process it starts is stopped when it ends, also when it fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}" $(cat "$work/holder.pid" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ports=($(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(9)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
))
peers="1=127.0.0.1:${ports[1]},2=127.0.0.1:${ports[4]},3=127.0.0.1:${ports[7]}"
endpoints=""
for i in 1 2 3; do
  c=${ports[$(( (i - 1) * 3 ))]} p=${ports[$(( (i - 1) * 3 + 1 ))]} h=${ports[$(( (i - 1) * 3 + 2 ))]}
  "$root/bin/cairn-node" --id "$i" --peers "$peers" --data-dir "$work/member$i" \
    --client-addr "127.0.0.1:$c" --http-addr "127.0.0.1:$h" > "$work/member$i.log" 2>&1 &
  pids+=($!)
  endpoints="$endpoints${endpoints:+,}127.0.0.1:$c"
done
export CAIRN_ENDPOINTS="$endpoints"
export CAIRN_UI_BASE="http://127.0.0.1:${ports[2]}"
export CAIRN_UI_SHOTS="$here/screenshots"
export CAIRN_BIN="$root/bin/cairn"
export CAIRN_WORK="$work"
# Until the member that serves the console answers a linearizable read: a leader is elected and known to it.
for _ in $(seq 1 150); do
  curl -fsS "$CAIRN_UI_BASE/v1/rev" >/dev/null 2>&1 && break
  sleep 0.2
done
node "$here/console.test.mjs"
