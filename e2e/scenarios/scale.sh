# kubectl patch replicas 3 -> 5 -> 3: membership follows one member at a time (joiners as
# learners, promoted; leavers removed before their pods go), status tracks it, and writes made
# all along are all in the store.
writes_start config /e2e/scale
k patch cairncluster config --type merge -p '{"spec":{"replicas":5}}' >/dev/null
wait_for 600 "five member pods are Ready" pods_ready default app.kubernetes.io/instance=config 5
wait_for 300 "status: five voters" eq "voter voter voter voter voter" cluster_status config '{.status.members[*].role}'
wait_for 60 "Progressing=False (settled at 5)" eq False condition config Progressing
k patch cairncluster config --type merge -p '{"spec":{"replicas":3}}' >/dev/null
wait_for 600 "back to three member pods" pods_ready default app.kubernetes.io/instance=config 3
wait_for 300 "status: three voters" eq "voter voter voter" cluster_status config '{.status.members[*].role}'
[ "$(cairn_on config members --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 3 ] \
  || fail "the cluster's own membership is not three members"
writes_check
