# kubectl apply of the example CairnCluster: three members Ready, status from the running
# cluster, writes from the host and from a pod through the client Service, and invalid specs
# refused by the apiserver with the schema's message.
k apply -f "$REPO/examples/cairncluster.yaml" >/dev/null
wait_for 300 "three member pods are Ready" pods_ready default app.kubernetes.io/instance=config 3
wait_for 120 "Available=True" eq True condition config Available
wait_for 60 "status names three members and a leader" \
  eq 3 bash -c "$K8S_BIN/kubectl get cairncluster config -o 'jsonpath={range .status.members[*]}{.id}{\"\\n\"}{end}' | grep -c ."
[ -n "$(cluster_status config '{.status.leader}')" ] || fail "no leader in status"
step "status: phase $(cluster_status config '{.status.phase}'), leader $(cluster_status config '{.status.leader}'), revision $(cluster_status config '{.status.revision}')"
rev=$(cairn_on config set /e2e/from-host hello)
[ "$(cairn_on config get /e2e/from-host)" = hello ] || fail "read after write from the host"
step "the host wrote /e2e/from-host at rev $rev"
cat <<'YAML' | k apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: writer, namespace: default}
spec:
  restartPolicy: Never
  containers:
    - name: curl
      image: curlimages/curl:8.10.1
      command: ["sh", "-c", "curl -fsS -XPUT --data-binary from-a-pod http://config-client.default.svc:8048/v1/kv/e2e/from-pod"]
YAML
wait_for 120 "a pod wrote through the client Service (config-client.default.svc)" eq Succeeded jp pod/writer '{.status.phase}'
[ "$(cairn_on config get /e2e/from-pod)" = from-a-pod ] || fail "the pod's write is not in the store"
k delete pod writer --wait=false >/dev/null
refused() { # refused WHAT EXPECTED-MESSAGE SPEC-LINES...: the apiserver refuses the CairnCluster
  local what=$1 want=$2 out; shift 2
  if out=$(printf 'apiVersion: cairn.io/v1alpha1\nkind: CairnCluster\nmetadata: {name: bad}\nspec:\n%s\n' "$(printf '  %s\n' "$@")" \
      | k apply -f - 2>&1); then
    fail "the apiserver accepted a CairnCluster with $what"
  fi
  grep -q "$want" <<<"$out" || fail "the refusal of $what does not say '$want': $out"
  step "refused, $what: $(tail -1 <<<"$out" | cut -c1-160)"
}
refused "four replicas" "replicas must be odd" "replicas: 4" "image: ghcr.io/cairn/cairn-node:0.1.0"
refused "no image" 'spec.image: Required value' "replicas: 3"
