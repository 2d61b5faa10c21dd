# The webhook's scope, counted by the apiserver itself (apiserver_admission_webhook_request_total):
# it is called only for pods labelled cairn.io/inject, not for every pod in the cluster; while
# the operator is down such a pod is refused with the reason (failurePolicy Fail) instead of
# starting without its config, and other pods are created as usual.
calls() {
  k get --raw /metrics | awk '/^apiserver_admission_webhook_request_total\{/ && /name="sidecar.cairn.io"/ {s += $NF} END {print s + 0}'
}
pod_yaml() { # pod_yaml NAME LABELLED(yes|no)
  printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: default\n  labels: {app: scope%s}\n' "$1" \
    "$([ "$2" = yes ] && echo ', cairn.io/inject: "true"')"
  # As a container, not a native sidecar (what this 1.34 cluster would get by default): the annotation chooses.
  printf '  annotations: {cairn.io/cluster: config, cairn.io/watch: /config/web, cairn.io/native-sidecar: "false"}\n'
  printf 'spec:\n  containers: [{name: app, image: debian:12, command: [sleep, "3600"]}]\n'
}
before=$(calls)
for i in 1 2 3; do pod_yaml "plain-$i" no | k apply -f - >/dev/null; done
[ "$(calls)" = "$before" ] || fail "the webhook was called for pods that did not ask for the sidecar"
pod_yaml asks yes | k apply -f - >/dev/null
[ "$(calls)" = $((before + 1)) ] || fail "expected one webhook call for the labelled pod, counted $(($(calls) - before))"
[ "$(jp pod/asks '{.spec.containers[*].name}')" = "app cairn-sidecar" ] || fail "the labelled pod was not injected"
step "three unlabelled pods: no webhook call; one labelled pod: one call, injected"
k -n cairn-system scale deployment cairn --replicas=0 >/dev/null
wait_for 120 "the operator is down" bash -c "[ -z \"\$($K8S_BIN/kubectl -n cairn-system get pods -l app.kubernetes.io/name=cairn-operator -o name)\" ]"
t0=$SECONDS
if out=$(pod_yaml refused yes | k apply -f - 2>&1); then fail "a labelled pod was created without the sidecar while the operator was down"; fi
grep -q "sidecar.cairn.io" <<<"$out" || fail "the refusal does not name the webhook: $out"
step "while it is down a labelled pod is refused in $((SECONDS - t0)) s: $(cut -c1-150 <<<"$out")"
pod_yaml plain-during-outage no | k apply -f - >/dev/null || fail "an unlabelled pod was refused during the outage"
step "an unlabelled pod is created as usual"
k -n cairn-system scale deployment cairn --replicas=1 >/dev/null
wait_for 180 "the operator is back" pods_ready cairn-system app.kubernetes.io/name=cairn-operator 1
wait_for 60 "a labelled pod is admitted and injected again" bash -c \
  "$(declare -f pod_yaml); pod_yaml back yes | $K8S_BIN/kubectl apply -f - >/dev/null 2>&1"
k delete pod plain-1 plain-2 plain-3 plain-during-outage asks back --wait=false >/dev/null
