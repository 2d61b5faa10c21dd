# Sourced by the bench scripts: a three-member cluster of this checkout's build on free loopback
# ports, and the scratch space around it.
#   bench_workspace
#     a fresh temporary directory in `work` and a `pids` array: when the script exits, also when
#     it fails, every process in `pids` is killed and the directory removed
#   start_loopback_cluster WORK
#     starts the members with bin/cairn-node (CAIRN_NODE_JAVA_OPTS as set, "{member}" in it
#     becomes the member's number), data and logs under WORK (usually `work`); sets `endpoints`
#     (the client ports), `http` (member 1's HTTP base) and `http_bases` (each member's)
bench_workspace() {
  work="$(mktemp -d)"
  pids=()
  trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
}

start_loopback_cluster() {
  local work=$1 i c h opts
  local all
  all=($(python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' 9))
  local peers="1=127.0.0.1:${all[1]},2=127.0.0.1:${all[4]},3=127.0.0.1:${all[7]}"
  endpoints=""
  http_bases=()
  for i in 1 2 3; do
    c=${all[$(( (i - 1) * 3 ))]} h=${all[$(( (i - 1) * 3 + 2 ))]}
    opts="${CAIRN_NODE_JAVA_OPTS:-}"
    CAIRN_NODE_JAVA_OPTS="${opts//\{member\}/$i}" "$root/bin/cairn-node" --id "$i" --peers "$peers" --data-dir "$work/m$i" \
      --client-addr "127.0.0.1:$c" --http-addr "127.0.0.1:$h" >"$work/m$i.log" 2>&1 &
    pids+=($!)
    endpoints="$endpoints${endpoints:+,}127.0.0.1:$c"
    http_bases+=("http://127.0.0.1:$h")
  done
  http="${http_bases[0]}"
  for _ in $(seq 1 150); do CAIRN_ENDPOINTS="$endpoints" "$root/bin/cairn" --timeout 1s rev >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "the three members did not answer; their logs:" >&2
  tail -n 20 "$work"/m*.log >&2
  return 1
}
