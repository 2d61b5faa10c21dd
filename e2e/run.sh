#!/usr/bin/env bash
# The end-to-end suite on a real Kubernetes control plane (bin/cairn-e2e is this script).
#   cairn-e2e            build what is missing, start everything, run every scenario, stop
#   cairn-e2e up         start the control plane and the node agent, install the operator's
#                        chart, and leave them running (prints the kubeconfig)
#   cairn-e2e run S...   run scenarios (names from e2e/scenarios, e.g. cluster sidecar) against `up`
#   cairn-e2e down       stop everything `up` started
# Needs root (network and mount namespaces), Go, etcd, openssl, npm, Java and Maven.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
E2E=$REPO/e2e
CACHE=${CAIRN_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn-k8s}
export CAIRN_E2E_RUN=${CAIRN_E2E_RUN:-$CACHE/run}
RUN=$CAIRN_E2E_RUN
export REPO

say() { printf '[cairn-e2e %(%H:%M:%S)T] %s\n' -1 "$*"; }

load_env() {
  [ -f "$RUN/env" ] || { say "nothing is up (cairn-e2e up starts it)"; exit 1; }
  set -a; . "$RUN/env"; set +a
}

build() {
  local t0=$SECONDS
  bash "$E2E/build-k8s.sh"
  say "control-plane binaries ready ($((SECONDS - t0)) s)"
  if [ -z "${CAIRN_E2E_SKIP_MVN:-}" ] || ! ls "$REPO"/node/target/cairn-node-*-all.jar >/dev/null 2>&1; then
    t0=$SECONDS
    (cd "$REPO" && mvn -q -B -DskipTests package)
    say "Cairn jars built ($((SECONDS - t0)) s)"
  fi
}

start_agent() {
  # Pods run a copy of the images (docker/: the Dockerfiles and the files they COPY, and the jars), so a rebuild while
  # the suite runs cannot swap a jar under a running JVM.
  mkdir -p "$RUN/images/docker"
  cp -p "$REPO"/docker/* "$RUN/images/docker/"
  (cd "$REPO" && for j in */target/*-all.jar; do mkdir -p "$RUN/images/$(dirname "$j")"; cp "$j" "$RUN/images/$j"; done)
  # 9>&-: what keeps running after `up` must not hold the suite's lock (see lock).
  python3 "$E2E/nodeagent" --env "$RUN/env" --repo "$RUN/images" >>"$RUN/logs/node-agent.log" 2>&1 9>&- &
  echo $! > "$RUN/pids/node-agent"
  local i
  for ((i = 0; i < 120; i++)); do
    [ "$("$K8S_BIN/kubectl" get node cairn-e2e-node-1 -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] \
      && [ -z "$("$K8S_BIN/kubectl" get node cairn-e2e-node-1 -o 'jsonpath={.spec.taints}' 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  say "the node did not turn Ready: $RUN/logs/node-agent.log"; exit 1
}

stop_agent() {
  local f=$RUN/pids/node-agent pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 400; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
  # Whatever a pod left behind (a namespace of a pod the agent could not finish).
  for n in $(ip netns list 2>/dev/null | awk '/^cz-/{print $1}'); do ip netns del "$n" 2>/dev/null || true; done
}

up() {
  build
  bash "$E2E/control-plane.sh" up 9>&-
  load_env
  start_agent
  say "node agent up (log $RUN/logs/node-agent.log)"
}

down() {
  stop_agent
  bash "$E2E/control-plane.sh" down
}

SCENARIOS=(agent install cluster sidecar webhook scale upgrade restart tls auth backup delete uninstall)

diagnose() {
  say "--- diagnostics"
  k() { "$K8S_BIN/kubectl" "$@"; }
  k get pods -A -o wide 2>&1 | head -40 || true
  k get cairnclusters -A -o yaml 2>&1 | grep -A40 '^  status:' | head -60 || true
  k get events -A --sort-by=.lastTimestamp 2>&1 | tail -25 || true
  echo "--- pods not Running, and why"
  k get pods -A --field-selector=status.phase!=Running -o \
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.phase}: {.status.conditions[?(@.type=="PodScheduled")].message}{"\n"}{end}' 2>&1 || true
  k get pvc -A 2>&1 | head -20 || true
  echo "--- kube-scheduler (last 15 lines)"; tail -15 "$RUN/logs/kube-scheduler.log" 2>/dev/null || true
  echo "--- node agent (last 40 lines)"; tail -40 "$RUN/logs/node-agent.log" 2>/dev/null || true
  for f in "$RUN"/pods/*/operator.log; do [ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done
}

run_scenarios() {
  local passed=0 failed=0 s t0 names=("$@") skipped=()
  for s in "${names[@]}"; do
    [ -f "$E2E/scenarios/$s.sh" ] || { say "no scenario $s (have: ${SCENARIOS[*]})"; exit 2; }
  done
  for s in "${names[@]}"; do
    if ((failed)); then skipped+=("$s"); continue; fi
    say "scenario $s"
    t0=$SECONDS
    if (set -euo pipefail; . "$E2E/lib.sh"; . "$E2E/scenarios/$s.sh"); then
      say "PASS $s ($((SECONDS - t0)) s)"; passed=$((passed + 1))
    else
      say "FAIL $s ($((SECONDS - t0)) s)"; failed=$((failed + 1)); diagnose
    fi
  done
  ((${#skipped[@]} == 0)) || say "not run after the failure: ${skipped[*]}"
  echo "e2e: $passed passed, $failed failed"
  ((failed == 0))
}

# One suite at a time: a run that is stopped cleans up on its way out (its EXIT trap), and must
# not take down the network of a run started meanwhile.
lock() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/e2e.lock"
  flock -w 120 9 || { say "another cairn-e2e holds $CACHE/e2e.lock"; exit 1; }
}

case "${1:-all}" in
  up|all|run) lock ;;
esac
case "${1:-all}" in
  up)
    up
    load_env
    run_scenarios install
    say "up: export KUBECONFIG=$KUBECONFIG  (kubectl and helm: $K8S_BIN)"
    ;;
  down) load_env 2>/dev/null && down || bash "$E2E/control-plane.sh" down ;;
  run) shift; load_env; run_scenarios "$@" ;;
  all)
    t_all=$SECONDS
    trap 'down >/dev/null 2>&1 || true' EXIT
    up
    load_env
    rc=0
    run_scenarios "${SCENARIOS[@]}" || rc=$?
    say "e2e wall time $((SECONDS - t_all)) s"
    exit $rc
    ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
