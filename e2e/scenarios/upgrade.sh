# A new image: the operator rolls the members one pod at a time while all are Ready, the
# leader's pod last; writes keep succeeding throughout.
leader=$(cluster_status config '{.status.leader}')
writes_start config /e2e/upgrade
k patch cairncluster config --type merge -p '{"spec":{"image":"ghcr.io/cairn/cairn-node:0.1.1"}}' >/dev/null
rolled() { k get pods -l app.kubernetes.io/instance=config -o 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | grep -c ':0.1.1$'; }
wait_for 600 "all three members run the new image" eq 3 rolled
wait_for 300 "and are Ready" pods_ready default app.kubernetes.io/instance=config 3
wait_for 120 "Available=True" eq True condition config Available
order=$(k get events --field-selector reason=PodRolled --sort-by=.metadata.creationTimestamp -o 'jsonpath={range .items[*]}{.message}{"\n"}{end}' | awk '{print $2}')
step "rolled in order: $(echo $order) (leader before: member $leader)"
[ "$(tail -1 <<<"$order")" = "config-$((leader - 1))" ] || fail "the leader's pod config-$((leader - 1)) was not rolled last"
writes_check
