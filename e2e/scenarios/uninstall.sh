# helm uninstall removes what the chart installed (the CRD stays: Helm never deletes the CRDs
# of a chart's crds/ directory, so no CairnCluster is lost by an uninstall).
helm uninstall cairn -n cairn-system --wait --timeout 3m >/dev/null
wait_for 120 "the operator's Deployment, Service and webhook Secret are gone" \
  gone -n cairn-system deployment/cairn service/cairn-webhook secret/cairn-webhook-cert serviceaccount/cairn
wait_for 60 "the webhook configuration and RBAC are gone" \
  gone mutatingwebhookconfiguration/cairn clusterrole/cairn clusterrolebinding/cairn
k get crd cairnclusters.cairn.io >/dev/null || fail "the CRD went with the chart"
step "the CRD stays"
