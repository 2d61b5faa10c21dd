# The node agent itself: a pod with an init container, env from the Downward API and a
# Secret, a Secret volume, a downwardAPI volume and an emptyDir shared with the init
# container; one container whose readiness probe checks all of that from inside (exec), one
# whose tcpSocket readiness probe must fail, one whose liveness probe fails (restarted), then
# deletion (SIGTERM, the namespace removed, the pod object gone).
k create namespace agent-test
wait_for 60 "namespace agent-test has its default ServiceAccount" k -n agent-test get serviceaccount default
k -n agent-test create secret generic agent-secret --from-literal=key=s3cret >/dev/null
cat <<'YAML' | k apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata:
  name: probe-me
  namespace: agent-test
  labels: {app: probe-me}
spec:
  terminationGracePeriodSeconds: 20
  initContainers:
    - name: prepare
      image: debian:12
      command: ["sh", "-c", "echo init-ran > /shared/init"]
      volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
    - name: checks
      image: debian:12
      command: ["sh", "-c", "trap 'echo got TERM > /shared/term; exit 0' TERM; while :; do sleep 0.2; done"]
      env:
        - {name: MY_POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: MY_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        - {name: MY_SECRET, valueFrom: {secretKeyRef: {name: agent-secret, key: key}}}
        - {name: COMPOSED, value: "$(MY_POD)-x"}
      readinessProbe:
        periodSeconds: 1
        exec:
          command:
            - sh
            - -c
            - >-
              test "$(cat /shared/init)" = init-ran && test "$MY_POD" = probe-me && test "$COMPOSED" = probe-me-x &&
              test "$MY_SECRET" = s3cret && test "$(cat /etc/secret/key)" = s3cret &&
              test "$(cat /etc/podinfo/labels)" = 'app="probe-me"' && test "$(hostname)" = probe-me &&
              ip -br addr show eth0 | grep -q "$MY_IP" &&
              test -s /var/run/secrets/kubernetes.io/serviceaccount/token && ! test -e /etc/cairn-agent-must-not-leak
      volumeMounts:
        - {name: shared, mountPath: /shared}
        - {name: secret, mountPath: /etc/secret, readOnly: true}
        - {name: podinfo, mountPath: /etc/podinfo}
    - name: never-ready
      image: debian:12
      command: ["sh", "-c", "touch /etc/cairn-agent-must-not-leak; exec sleep 3600"]
      readinessProbe: {periodSeconds: 1, tcpSocket: {port: 9}}
    - name: unhealthy
      image: debian:12
      command: ["sleep", "3600"]
      livenessProbe: {periodSeconds: 1, failureThreshold: 2, exec: {command: ["false"]}}
  volumes:
    - {name: shared, emptyDir: {}}
    - {name: secret, secret: {secretName: agent-secret}}
    - name: podinfo
      downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
YAML
P=(-n agent-test get pod probe-me -o)
wait_for 120 "the pod runs" eq Running k "${P[@]}" 'jsonpath={.status.phase}'
wait_for 60 "the init container completed first" eq 0 k "${P[@]}" 'jsonpath={.status.initContainerStatuses[0].state.terminated.exitCode}'
wait_for 60 "env, Secret, downwardAPI, emptyDir, hostname, token seen from inside (exec probe)" \
  eq true k "${P[@]}" 'jsonpath={.status.containerStatuses[?(@.name=="checks")].ready}'
wait_for 60 "the liveness probe restarts its container" \
  ge 1 k "${P[@]}" 'jsonpath={.status.containerStatuses[?(@.name=="unhealthy")].restartCount}'
[ "$(k "${P[@]}" 'jsonpath={.status.containerStatuses[?(@.name=="never-ready")].ready}')" = false ] \
  || fail "a failing tcpSocket readiness probe left the container ready"
[ "$(k "${P[@]}" 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = False ] || fail "pod Ready with a container not ready"
[ ! -e /etc/cairn-agent-must-not-leak ] || fail "a container's write reached the host"
step "the failing probe keeps the pod not Ready; nothing a container wrote reached the host"
ip=$(k "${P[@]}" 'jsonpath={.status.podIP}')
uid=$(k "${P[@]}" 'jsonpath={.metadata.uid}')
d=$(pod_dir agent-test probe-me)
k -n agent-test delete pod probe-me --wait=false >/dev/null
wait_for 60 "deleted: the pod object is gone" bash -c "! $K8S_BIN/kubectl -n agent-test get pod probe-me"
grep -q "got TERM" "$d/empty-dir/shared/term" || fail "the container was not sent SIGTERM"
! ip netns list | grep -q "cz-${uid:0:8}" || fail "the pod's network namespace is left behind"
step "SIGTERM delivered, network namespace cz-${uid:0:8} ($ip) removed"
k delete namespace agent-test --wait=false >/dev/null
