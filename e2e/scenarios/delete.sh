# kubectl delete of the clusters: the real garbage collector removes what the operator made;
# volumes stay unless storage.deleteVolumesWithCluster.
k delete deployment web billing --ignore-not-found >/dev/null
k patch cairncluster secure --type merge -p '{"spec":{"storage":{"deleteVolumesWithCluster":true}}}' >/dev/null
wait_for 120 "the secure StatefulSet deletes its claims with it" eq Delete \
  jp statefulset/secure '{.spec.persistentVolumeClaimRetentionPolicy.whenDeleted}'
claims=$(k get pvc -o name | grep 'data-config-' | sort)
k delete cairncluster config secure --wait=false >/dev/null
for c in config secure; do
  wait_for 180 "$c: StatefulSet, Services, ConfigMap and PodDisruptionBudget garbage-collected" \
    gone statefulset/$c service/$c-client service/$c-peers configmap/$c-config poddisruptionbudget/$c
  wait_for 180 "$c: member pods gone" bash -c "[ -z \"\$($K8S_BIN/kubectl get pods -l app.kubernetes.io/instance=$c -o name)\" ]"
done
wait_for 60 "secure: its TLS Secrets are garbage-collected" gone secret/secure-ca secret/secure-member-tls secret/secure-client-tls
[ "$(k get pvc -o name | grep 'data-config-' | sort)" = "$claims" ] && [ "$(grep -c . <<<"$claims")" -ge 3 ] \
  || fail "the claims of config were not kept: before $(echo $claims), after $(echo $(k get pvc -o name))"
wait_for 120 "secure: its claims are deleted (deleteVolumesWithCluster)" \
  bash -c "[ -z \"\$($K8S_BIN/kubectl get pvc -o name | grep data-secure-)\" ]"
step "config's $(grep -c . <<<"$claims") claims are kept (the default; two are from the scale to five)"
