# spec.tls.enabled: the operator makes the CA, member and client Secrets; members serve only
# TLS and require client certificates; a sidecar renders its config over mTLS.
k apply -f "$REPO/examples/tls/cairncluster.yaml" >/dev/null
wait_for 300 "three TLS members are Ready" pods_ready default app.kubernetes.io/instance=secure 3
wait_for 120 "Available=True (the operator reads the cluster with its client certificate)" eq True condition secure Available
for s in secure-ca secure-member-tls secure-client-tls; do k get secret "$s" >/dev/null || fail "no Secret $s"; done
step "Secrets secure-ca, secure-member-tls, secure-client-tls made"
# A client in a pod, with the client Secret, by the name the certificates carry (the host only
# has pod addresses, which the certificates rightly do not name).
cat <<'YAML' | k apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: tls-client, namespace: default}
spec:
  restartPolicy: Never
  containers:
    - name: curl
      image: curlimages/curl:8.10.1
      command:
        - sh
        - -c
        - |
          set -e
          url=https://secure-client.default.svc:8048/v1/kv/config/billing/plan
          curl -fsS --cacert /tls/ca.crt --cert /tls/tls.crt --key /tls/tls.key -XPUT --data-binary gold "$url"
          echo; echo "mTLS write ok"
          if curl -fsS -m 5 "http://secure-client.default.svc:8048/v1/kv/config/billing/plan"; then echo "plain HTTP answered"; exit 1; fi
          code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --cacert /tls/ca.crt "$url")
          echo "without a client certificate: HTTP $code"; test "$code" = 403
      volumeMounts: [{name: tls, mountPath: /tls, readOnly: true}]
  volumes: [{name: tls, secret: {secretName: secure-client-tls}}]
YAML
wait_for 120 "a pod wrote over mTLS by the Service name; plain HTTP and a client without a certificate were refused" \
  eq Succeeded jp pod/tls-client '{.status.phase}'
[ "$(jp pod/tls-client '{.status.phase}')" = Succeeded ] || fail "the TLS client pod failed: $(cat "$(pod_dir default tls-client)/curl.log")"
k delete pod tls-client --wait=false >/dev/null
k apply -f "$REPO/examples/tls/app-deployment.yaml" >/dev/null
wait_for 300 "the billing pod (sidecar over mTLS) is Ready" pods_ready default app=billing 1
p=$(k get pods -l app=billing -o 'jsonpath={.items[0].metadata.name}')
wait_for 60 "its config was rendered over mTLS" eq gold pod_exec default "$p" billing cat /etc/billing/plan
