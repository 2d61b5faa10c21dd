# Helpers for the e2e scenarios (sourced; every scenario runs under set -euo pipefail).
# Outcomes are checked through the API and through the store; waits poll a condition with a
# bound, never sleep a fixed time.

k() { "$K8S_BIN/kubectl" "$@"; }
helm() { "$K8S_BIN/helm" "$@"; }

step() { printf '  [%(%H:%M:%S)T] %s\n' -1 "$*"; }

fail() { printf '  FAILED: %s\n' "$*" >&2; exit 1; }

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every half second until it succeeds. On a
# timeout the failure also carries what $WAIT_EXPLAIN (a command, when set) prints, so a run
# whose logs are gone still says why.
wait_for() {
  local limit=$1 what=$2 start=$SECONDS; shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start < limit)) || fail "timed out after ${limit}s: $what${WAIT_EXPLAIN:+$'\n'$($WAIT_EXPLAIN 2>&1 | head -40)}"
    sleep 0.5
  done
  step "$what ($((SECONDS - start))s)"
}

# jp KIND/NAME JSONPATH [NAMESPACE]: one field of an object, empty when it does not exist.
jp() { k -n "${3:-default}" get "$1" -o "jsonpath=$2" 2>/dev/null || true; }

# eq EXPECTED COMMAND...: COMMAND prints EXPECTED.
eq() { local want=$1; shift; [ "$("$@" 2>/dev/null)" = "$want" ]; }

pods_ready() { # pods_ready NAMESPACE SELECTOR COUNT: exactly COUNT pods, all Ready
  local out
  out=$(k -n "$1" get pods -l "$2" -o 'jsonpath={range .items[*]}{.metadata.deletionTimestamp}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
  [ "$(grep -c . <<<"$out")" = "$3" ] && [ "$(grep -cx True <<<"$out")" = "$3" ]
}

# The client endpoints of a CairnCluster's members, as the host reaches them (pod addresses).
member_endpoints() { # member_endpoints CLUSTER [NAMESPACE]
  k -n "${2:-default}" get pods -l "app.kubernetes.io/instance=$1,app.kubernetes.io/name=cairn" \
    -o 'jsonpath={range .items[*]}{.status.podIP}:8046{","}{end}' | sed 's/,$//'
}

# cairn_on CLUSTER ARGS...: the cairn CLI against the cluster's members.
cairn_on() { local c=$1; shift; "$REPO/bin/cairn" --endpoints "$(member_endpoints "$c" "${NS:-default}")" "$@"; }

cluster_status() { jp "cairncluster/$1" "$2" "${3:-default}"; }

condition() { # condition CLUSTER TYPE [NAMESPACE]: the status of one condition
  cluster_status "$1" "{.status.conditions[?(@.type==\"$2\")].status}" "${3:-default}"
}

# The directory the node agent keeps a pod in (logs CONTAINER.log, pids CONTAINER.pid).
pod_dir() { # pod_dir NAMESPACE POD
  local uid; uid=$(k -n "$1" get pod "$2" -o 'jsonpath={.metadata.uid}')
  echo "$CAIRN_E2E_RUN/pods/${1}_${2}_${uid:0:8}"
}

# pod_exec NAMESPACE POD CONTAINER COMMAND...: what kubectl exec does on a real node (there is
# no kubelet API here): the command runs in the container's network, mount and UTS namespaces
# and root.
pod_exec() {
  local d; d=$(pod_dir "$1" "$2")
  nsenter -t "$(cat "$d/$3.pid")" -n -m -u -r -w -- "${@:4}"
}

# pod_processes NAMESPACE POD CONTAINER: the processes in the container's PID namespace as the
# host sees them (pid, parent, state, command line): in a pod that shares its process namespace,
# every container's.
pod_processes() {
  local d pid ns p; d=$(pod_dir "$1" "$2"); pid=$(cat "$d/$3.pid")
  ns=$(readlink "/proc/$pid/ns/pid") || { echo "the container's first process ($pid) has gone"; return; }
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
    printf '%s ppid=%s %s: %s\n' "${p#/proc/}" "$(awk '{print $4}' "$p/stat" 2>/dev/null)" \
      "$(awk '{print $3}' "$p/stat" 2>/dev/null)" "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null | cut -c1-120)"
  done
}

# ge N COMMAND...: COMMAND prints a number of at least N (for wait_for: evaluated each poll).
ge() { local n; n=$("${@:2}" 2>/dev/null); [ "${n:-0}" -ge "$1" ]; }

# nonempty COMMAND...: COMMAND prints something.
nonempty() { [ -n "$("$@" 2>/dev/null)" ]; }

# writes_start CLUSTER PREFIX: writes in the background until writes_check (see writer.sh).
writes_start() {
  WRITES_OUT=$(mktemp) WRITES_STOP=$(mktemp -u) WRITES_PREFIX=$2 WRITES_CLUSTER=$1
  bash "$REPO/e2e/writer.sh" "$1" "$2" "$WRITES_OUT" "$WRITES_STOP" &
  WRITES_PID=$!
  trap 'touch "$WRITES_STOP"; wait $WRITES_PID 2>/dev/null' EXIT
}

# writes_check: stops the writer; every write it started was acknowledged (none failed for
# 15 s on every member) and every acknowledged write is in the store.
writes_check() {
  touch "$WRITES_STOP"; wait "$WRITES_PID" || true
  local ok failed missing
  ok=$(grep -c '^ok' "$WRITES_OUT" || true) failed=$(grep -c '^failed' "$WRITES_OUT" || true)
  ((ok > 0)) || fail "no write was acknowledged"
  missing=$(cairn_on "$WRITES_CLUSTER" walk "$WRITES_PREFIX/**" | awk -v p="$WRITES_PREFIX/" '
    FNR == NR { if ($1 == "ok") want[$2] = 1; next }
    { sub(p, "", $1); if ($1 == $3) have[$1] = 1 }
    END { n = 0; for (k in want) if (!(k in have)) n++; print n }' "$WRITES_OUT" -)
  ((missing == 0)) || fail "$missing of $ok acknowledged writes are not in the store"
  ((failed == 0)) || fail "$failed of $((ok + failed)) writes could not be made for 15 s (the cluster was unavailable)"
  step "$ok writes during the change, every one acknowledged and in the store"
}

# gone [-n NAMESPACE] KIND/NAME...: every one of them is gone (one `kubectl get` of several
# fails as soon as any one is missing, so each is asked on its own).
gone() {
  local ns=() r
  if [ "$1" = -n ]; then ns=(-n "$2"); shift 2; fi
  for r in "$@"; do
    if k "${ns[@]}" get "$r" >/dev/null 2>&1; then return 1; fi
  done
}
