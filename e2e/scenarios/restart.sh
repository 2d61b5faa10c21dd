# A member's process dies (SIGKILL): the node agent restarts the container (restartPolicy
# Always), the member recovers from its volume (the PersistentVolumeClaim's directory) and
# catches up on what was written while it was down.
pod=config-1
before=$(jp "pod/$pod" '{.status.containerStatuses[0].restartCount}')
kill -9 "$(cat "$(pod_dir default $pod)/cairn.pid")"
step "SIGKILLed the member in $pod"
cairn_on config set /e2e/while-down written >/dev/null || cairn_on config set /e2e/while-down written >/dev/null
wait_for 120 "the container was restarted" ge $((before + 1)) jp "pod/$pod" '{.status.containerStatuses[0].restartCount}'
wait_for 120 "and is Ready again" pods_ready default app.kubernetes.io/instance=config 3
log=$(pod_dir default $pod)/cairn.log
recovered=$(awk '/^--- .* start #/{n++} n == '"$((before + 2))"' && /recovered slot/' "$log")
grep -q "recovered slot [1-9]" <<<"$recovered" || fail "the restarted member did not recover from its volume: $recovered"
step "it recovered from its volume: ${recovered#*: }"
ip=$(jp "pod/$pod" '{.status.podIP}')
own_value() { # the member's own (serializable) value of PATH, through its HTTP gateway
  curl -fsS "http://$ip:8048/v1/kv$1?serializable=true" | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])'
}
wait_for 60 "its own state has the write made while it was down" eq written own_value /e2e/while-down
