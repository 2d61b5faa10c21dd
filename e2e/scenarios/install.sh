# helm install of the operator's chart: the operator runs as the pod the chart makes, under the
# chart's ServiceAccount and RBAC; the CRD is Established; the operator sets the webhook's
# caBundle itself.
helm install cairn "$REPO/helm/cairn-operator" -n cairn-system --create-namespace --wait --timeout 5m >/dev/null
step "helm install cairn: $(helm -n cairn-system status cairn -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["info"]["status"])')"
wait_for 60 "the CRD is Established" eq True k get crd cairnclusters.cairn.io \
  -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}'
wait_for 120 "the operator pod is Ready" pods_ready cairn-system app.kubernetes.io/name=cairn-operator 1
[ "$(k -n cairn-system get pod -l app.kubernetes.io/name=cairn-operator -o 'jsonpath={.items[0].spec.serviceAccountName}')" = cairn ] \
  || fail "the operator does not run as the chart's ServiceAccount"
wait_for 120 "the operator set the webhook's caBundle" \
  nonempty k get mutatingwebhookconfiguration cairn -o 'jsonpath={.webhooks[0].clientConfig.caBundle}'
