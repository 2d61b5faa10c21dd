# The injection webhook on the real apiserver: the example app's pods get the init container and
# the sidecar (a native sidecar: this Kubernetes is 1.29 or later); config is in the app's mount
# path before the app starts; presence appears; a change reaches the files; a deleted pod's
# presence goes; a Job whose pod has the sidecar completes, as a native sidecar and as a container,
# with its app wrapped by cairn.io/exec or its pod sharing its process namespace; the on-change
# HUP reaches the example app through the pid file volume the webhook gave the sidecar.
cairn_on config set /config/web/greeting hello >/dev/null
k apply -f "$REPO/examples/app-deployment.yaml" >/dev/null
wait_for 300 "two app pods are Ready" pods_ready default app=web 2
pods=$(k get pods -l app=web -o 'jsonpath={.items[*].metadata.name}')
for p in $pods; do
  [ "$(jp "pod/$p" '{.spec.initContainers[*].name}')" = "cairn-init cairn-sidecar" ] \
    || fail "$p init containers: $(jp "pod/$p" '{.spec.initContainers[*].name}')"
  [ "$(jp "pod/$p" '{.spec.initContainers[1].restartPolicy}')" = Always ] || fail "$p: cairn-sidecar is not a native sidecar"
  [ "$(jp "pod/$p" '{.spec.containers[*].name}')" = web ] || fail "$p containers: $(jp "pod/$p" '{.spec.containers[*].name}')"
  [ "$(jp "pod/$p" '{.metadata.annotations.cairn\.io/injected}')" = true ] || fail "$p is not marked injected"
done
step "the apiserver called the webhook: both pods have cairn-init and cairn-sidecar (restartPolicy Always)"
p=${pods%% *}
# The app prints its greeting as it starts: the first line shows the file was there already.
wait_for 30 "the app's first line shows the config that the init container rendered" \
  grep -q "^greeting: hello" "$(pod_dir default "$p")/web.log"
first=$(grep -m1 "^greeting:" "$(pod_dir default "$p")/web.log")
[ "$first" = "greeting: hello" ] || fail "the app started before its config: first line '$first'"
wait_for 60 "presence /presence/default/web/$p" cairn_on config get "/presence/default/web/$p"
cairn_on config set /config/web/greeting bonjour >/dev/null
wait_for 30 "a config change reaches the app's file" eq bonjour pod_exec default "$p" web cat /etc/web/greeting
# cairn.io/on-change signal:HUP:PIDFILE: the webhook gave the sidecar the app's pid file volume; the
# pod shares its process namespace, so the HUP reaches the app, which reads the new file.
wait_for 30 "the sidecar's HUP reached the app, which read the change" \
  grep -q "^reloaded: greeting: bonjour" "$(pod_dir default "$p")/web.log"
! grep -q "on-change action for rev .* failed" "$(pod_dir default "$p")/cairn-sidecar.log" \
  || fail "an on-change action failed: $(grep -m1 "on-change action" "$(pod_dir default "$p")/cairn-sidecar.log")"
k delete pod "$p" --wait=false >/dev/null
wait_for 60 "the deleted pod's presence is gone" bash -c "! $REPO/bin/cairn --endpoints $(member_endpoints config) get /presence/default/web/$p"
wait_for 120 "the Deployment replaced the pod" pods_ready default app=web 2
# Delivery status from the real sidecars' presence: a change, `cairn rollout status --wait` until
# both pods published it; then a change staged to one pod reaches it and not the other.
pods=$(k get pods -l app=web -o 'jsonpath={.items[*].metadata.name}')
one=${pods%% *} other=${pods##* }
wait_for 60 "both pods' presence names what they watch" eq 2 bash -c \
  "$REPO/bin/cairn --endpoints $(member_endpoints config) rollout status /config/web -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"pods\"]))'"
rev=$(cairn_on config set /config/web/greeting hola)
out=$(cairn_on config rollout status /config/web --wait --wait-timeout 60s) || fail "rollout status --wait: $out"
grep -q "2 pods at rev [0-9]*: 2 applied, 0 lagging, 0 failed" <<<"$out" || fail "rollout status after the change: $out"
[ "$(pod_exec default "$one" web cat /etc/web/greeting)" = hola ] || fail "$one does not run the change rollout status reported"
step "cairn rollout status --wait returned once both sidecars published rev $rev"
cairn_on config rollout stage /config/web --to "$one" --set greeting=canary >/dev/null
wait_for 30 "the staged value reaches $one" eq canary pod_exec default "$one" web cat /etc/web/greeting
out=$(cairn_on config rollout status /config/web --wait --wait-timeout 60s) || fail "rollout status of the stage: $out"
grep -q "ready (staged)" <<<"$out" || fail "the status does not show the stage: $out"
[ "$(pod_exec default "$other" web cat /etc/web/greeting)" = hola ] || fail "$other saw the staged value"
cairn_on config rollout abort /config/web >/dev/null
wait_for 30 "after abort, $one is back on the shared value" eq hola pod_exec default "$one" web cat /etc/web/greeting
step "a stage reached $one only; abort took it back"
# A Job: its app reads the config and exits; the native sidecar is stopped after it and the Job completes.
cat <<'YAML' | k apply -f - >/dev/null
apiVersion: batch/v1
kind: Job
metadata: {name: report, namespace: default}
spec:
  backoffLimit: 0
  template:
    metadata:
      labels: {app: report, cairn.io/inject: "true"}
      annotations: {cairn.io/cluster: config, cairn.io/watch: /config/web, cairn.io/mount-path: /etc/report}
    spec:
      restartPolicy: Never
      containers:
        - name: report
          image: debian:12
          command: ["sh", "-c", "echo \"greeting was: $(cat /etc/report/greeting)\"; sleep 2"]
YAML
wait_for 120 "the Job with a native sidecar completed" eq 1 jp job/report '{.status.succeeded}'
jobpod=$(k get pods -l job-name=report -o 'jsonpath={.items[0].metadata.name}')
grep -q "^greeting was: hola" "$(pod_dir default "$jobpod")/report.log" || fail "the Job's app did not read its config"
[ "$(jp "pod/$jobpod" '{.status.initContainerStatuses[1].state.terminated.reason}')" = Completed ] \
  || fail "the Job's sidecar was not stopped: $(jp "pod/$jobpod" '{.status.initContainerStatuses[1].state}')"
wait_for 60 "the Job pod's presence is gone" bash -c "! $REPO/bin/cairn --endpoints $(member_endpoints config) get /presence/default/report/$jobpod"
step "the Job's pod read its config, ended, and its sidecar was stopped after it: phase $(jp "pod/$jobpod" '{.status.phase}')"
k delete job report --wait=false >/dev/null
# Where there are no native sidecars (a cluster before 1.29; here by annotation) a Job's sidecar is a
# container: the app is wrapped by `cairn-sidecar exec` (cairn.io/exec), gets the config as its
# environment, and leaves its exit code for the sidecar container, which ends with it.
cat <<'YAML' | k apply -f - >/dev/null
apiVersion: batch/v1
kind: Job
metadata: {name: envreport, namespace: default}
spec:
  backoffLimit: 0
  template:
    metadata:
      labels: {app: envreport, cairn.io/inject: "true"}
      annotations: {cairn.io/cluster: config, cairn.io/watch: /config/web, cairn.io/native-sidecar: "false", cairn.io/exec: report}
    spec:
      restartPolicy: Never
      containers:
        - name: report
          image: debian:12
          command: ["sh", "-c", "echo \"greeting from env: $GREETING\"; sleep 2"]
YAML
wait_for 180 "the Job with a sidecar container and a wrapped app completed" eq 1 jp job/envreport '{.status.succeeded}'
jobpod=$(k get pods -l job-name=envreport -o 'jsonpath={.items[0].metadata.name}')
[ "$(jp "pod/$jobpod" '{.spec.initContainers[*].name}')" = "cairn-exec-install cairn-init" ] \
  || fail "the wrapped Job's init containers: $(jp "pod/$jobpod" '{.spec.initContainers[*].name}')"
grep -q "^greeting from env: hola" "$(pod_dir default "$jobpod")/report.log" || fail "the wrapped app did not get its config as env"
sc='{.status.containerStatuses[?(@.name=="cairn-sidecar")].state.terminated.exitCode}'
[ "$(jp "pod/$jobpod" "$sc")" = 0 ] || fail "the sidecar container did not end with the app: $(jp "pod/$jobpod" '{.status.containerStatuses}')"
step "the wrapped app read its config from env and ended; the sidecar container ended with it (exit 0): phase $(jp "pod/$jobpod" '{.status.phase}')"
k delete job envreport --wait=false >/dev/null
# Or the pod shares its process namespace (restartPolicy Never): the sidecar container sees the
# app container's processes end and ends too, the app unwrapped.
psjob=$(cat <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: psreport, namespace: default}
spec:
  backoffLimit: 0
  template:
    metadata:
      labels: {app: psreport, cairn.io/inject: "true"}
      annotations: {cairn.io/cluster: config, cairn.io/watch: /config/web, cairn.io/native-sidecar: "false", cairn.io/mount-path: /etc/report}
    spec:
      restartPolicy: Never
      shareProcessNamespace: true
      containers:
        - name: report
          image: debian:12
          command: ["sh", "-c", "echo \"greeting was: $(cat /etc/report/greeting)\"; sleep 5"]
YAML
)
k apply -f - <<<"$psjob" >/dev/null
# Beside it, one whose app ends at once, before the sidecar's JVM has looked: the webhook put the
# sidecar after the app, which the kubelet started first, so an app not seen has ended, and the
# sidecar waits only the injected unseen window (5 s), not the 30 s of one started by hand.
sed -e 's/psreport/psquick/g' -e 's/; sleep 5"/"/' <<<"$psjob" | k apply -f - >/dev/null
psreport_explain() {
  local pod; pod=$(k get pods -l job-name=psreport -o 'jsonpath={.items[0].metadata.name}')
  echo "pod $pod: $(jp "pod/$pod" '{range .status.containerStatuses[*]}{.name}={.state}{" "}{end}')"
  echo "cairn-sidecar.log (last lines):"; tail -6 "$(pod_dir default "$pod")/cairn-sidecar.log"
  echo "the pod's processes (host pids):"; pod_processes default "$pod" cairn-sidecar
}
WAIT_EXPLAIN=psreport_explain wait_for 180 "the Job with a sidecar container in a shared process namespace completed" \
  eq 1 jp job/psreport '{.status.succeeded}'
jobpod=$(k get pods -l job-name=psreport -o 'jsonpath={.items[0].metadata.name}')
grep -q "^greeting was: hola" "$(pod_dir default "$jobpod")/report.log" || fail "the Job's app did not read its config"
[ "$(jp "pod/$jobpod" "$sc")" = 0 ] || fail "the sidecar container did not end with the app: $(jp "pod/$jobpod" '{.status.containerStatuses}')"
grep -q "the app containers' processes have all ended: ending too" "$(pod_dir default "$jobpod")/cairn-sidecar.log" \
  || fail "the sidecar did not see the app end: $(tail -5 "$(pod_dir default "$jobpod")/cairn-sidecar.log")"
wait_for 60 "the shared-namespace Job pod's presence is gone" bash -c "! $REPO/bin/cairn --endpoints $(member_endpoints config) get /presence/default/psreport/$jobpod"
step "in a pod sharing its process namespace the sidecar container saw the app end and ended with it (exit 0): phase $(jp "pod/$jobpod" '{.status.phase}')"
k delete job psreport --wait=false >/dev/null
wait_for 120 "the Job whose app ended at once completed" eq 1 jp job/psquick '{.status.succeeded}'
quickpod=$(k get pods -l job-name=psquick -o 'jsonpath={.items[0].metadata.name}')
grep -q "^greeting was: hola" "$(pod_dir default "$quickpod")/report.log" || fail "the quick Job's app did not read its config"
[ "$(jp "pod/$quickpod" "$sc")" = 0 ] || fail "the quick Job's sidecar did not end cleanly: $(jp "pod/$quickpod" '{.status.containerStatuses}')"
how=$(grep -o "no app container's process was seen in [0-9]* s\|the app containers' processes have all ended" \
  "$(pod_dir default "$quickpod")/cairn-sidecar.log" | head -n1)
case "$how" in
  "no app container's process was seen in 5 s"|"the app containers' processes have all ended") ;;
  *) fail "the quick Job's sidecar did not end by the injected unseen window: ${how:-$(tail -5 "$(pod_dir default "$quickpod")/cairn-sidecar.log")}" ;;
esac
step "a Job whose app ended before its sidecar looked completed too: the sidecar said \"$how\""
k delete job psquick --wait=false >/dev/null
# A pod that runs to completion, its sidecar a container, its app not wrapped: admitted with a warning.
out=$(printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: default\n  labels: {app: once, cairn.io/inject: "true"}\n  annotations: {cairn.io/cluster: config, cairn.io/watch: /config/web, cairn.io/native-sidecar: "false"}\nspec:\n  restartPolicy: Never\n  containers: [{name: app, image: debian:12, command: [sleep, "1"]}]\n' once \
  | k apply -f - 2>&1) || fail "the pod was refused: $out"
grep -q "Warning: .*will not complete" <<<"$out" || fail "no warning for a pod that cannot complete: $out"
step "a run-to-completion pod whose sidecar cannot end is admitted with a warning: $(grep -o 'Warning: .\{0,80\}' <<<"$out")"
k delete pod once --wait=false >/dev/null
