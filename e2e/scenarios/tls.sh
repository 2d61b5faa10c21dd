# spec.tls.enabled: the operator makes the CA, member and client Secrets; members serve only
# TLS and require client certificates; a sidecar renders its config over mTLS.
k apply -f "$REPO/examples/tls/cairncluster.yaml" >/dev/null
wait_for 300 "three TLS members are Ready" pods_ready default app.kubernetes.io/instance=secure 3
wait_for 120 "Available=True (the operator reads the cluster with its client certificate)" eq True condition secure Available
for s in secure-ca secure-member-tls secure-client-tls; do k get secret "$s" >/dev/null || fail "no Secret $s"; done
step "Secrets secure-ca, secure-member-tls, secure-client-tls made"
certs=$(mktemp -d)
for f in ca.crt tls.crt tls.key; do
  k get secret secure-client-tls -o "jsonpath={.data.${f//./\\.}}" | base64 -d > "$certs/$f"
done
tls=(--cacert "$certs/ca.crt" --cert "$certs/tls.crt" --key "$certs/tls.key")
cairn_on secure "${tls[@]}" set /config/billing/plan gold >/dev/null
[ "$(cairn_on secure "${tls[@]}" get /config/billing/plan)" = gold ] || fail "read over TLS"
if cairn_on secure get /config/billing/plan >/dev/null 2>&1; then fail "a member answered plain TCP"; fi
if cairn_on secure --cacert "$certs/ca.crt" get /config/billing/plan >/dev/null 2>&1; then
  fail "a member answered a client without a certificate"
fi
step "members answer over TLS with the client certificate, refuse plain TCP and clients without one"
k apply -f "$REPO/examples/tls/app-deployment.yaml" >/dev/null
wait_for 300 "the billing pod (sidecar over mTLS) is Ready" pods_ready default app=billing 1
p=$(k get pods -l app=billing -o 'jsonpath={.items[0].metadata.name}')
wait_for 60 "its config was rendered over mTLS" eq gold pod_exec default "$p" billing cat /etc/billing/plan
rm -rf "$certs"
