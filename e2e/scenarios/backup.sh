# spec.backup and spec.restoreFrom on a real Kubernetes: the operator's CronJob runs the node
# image's own `cairn snapshot save` into the claim it made (the real CronJob and Job controllers
# run it: once at once through `kubectl create job --from`, then on its schedule), and a new
# three-member cluster built from that backup starts at its revision with its files.
sed -e 's/schedule: "0 \* \* \* \*"/schedule: "* * * * *"/' -e 's/replicas: 3/replicas: 1/' "$REPO/examples/backup/cairncluster.yaml" \
  | k apply -f - >/dev/null
wait_for 300 "archive's member is Ready" pods_ready default app.kubernetes.io/instance=archive,app.kubernetes.io/name=cairn 1
wait_for 120 "Available=True" eq True condition archive Available
wait_for 60 "BackupScheduled=True" eq True condition archive BackupScheduled
for i in 1 2 3 4 5; do cairn_on archive set /e2e/backup/k$i "value $i" >/dev/null; done
rev=$(cairn_on archive set /e2e/backup/last written-before-the-backup)
step "wrote six files, the last at rev $rev"
k create job --from=cronjob/archive-backup archive-now >/dev/null
wait_for 180 "the backup Job (created from the CronJob) succeeded" eq 1 jp job/archive-now '{.status.succeeded}'
volume=$(jp pvc/archive-backups '{.spec.volumeName}')
dir=$(jp "pv/$volume" '{.spec.hostPath.path}')
file=$(cd "$dir" && ls -1 archive-*.bak | tail -1)
[ -n "$file" ] || fail "no backup in the claim archive-backups ($dir): $(ls -la "$dir")"
status=$("$REPO/bin/cairn" snapshot status "$dir/$file")
[ "$(sed -n 's/^files: //p' <<<"$status")" -ge 6 ] || fail "the backup does not hold the six files (and /ctl's): $status"
saved=$(sed -n 's/^rev: //p' <<<"$status")
[ "$saved" -ge "$rev" ] || fail "the backup is of rev $saved, before the write at $rev"
step "the Job saved $file into the claim: rev $saved, $(sed -n 's/^bytes: //p' <<<"$status") bytes"
wait_for 150 "a scheduled run succeeded too (status.lastBackup)" nonempty jp cairncluster/archive '{.status.lastBackup}'
step "status.lastBackup $(jp cairncluster/archive '{.status.lastBackup}'); $(cluster_status archive \
  '{.status.conditions[?(@.type=="BackupScheduled")].message}')"

sed "s/file: .*/file: $file/" "$REPO/examples/backup/restored.yaml" | k apply -f - >/dev/null
wait_for 300 "the restored cluster's three members are Ready" pods_ready default app.kubernetes.io/instance=archive-restored,app.kubernetes.io/name=cairn 3
wait_for 120 "Restored=True" eq True condition archive-restored Restored
[ "$(cairn_on archive-restored get /e2e/backup/last)" = written-before-the-backup ] || fail "the restored cluster lacks the backup's files"
[ "$(cairn_on archive-restored walk '/e2e/backup/*' | grep -c .)" = 6 ] || fail "the restored cluster does not hold the six files"
now=$(cairn_on archive-restored rev | head -1)
[ "${now%% *}" -ge "$saved" ] || fail "the restored cluster is at rev $now, before the backup's $saved"
after=$(cairn_on archive-restored set /e2e/backup/after restored)
[ "$after" -gt "$saved" ] || fail "a write after the restore got rev $after, not after the backup's $saved"
grep -q "restored rev $saved" "$(pod_dir default archive-restored-0)/cairn.log" || fail "member 1 did not log its restore"
step "archive-restored began at rev $saved with the backup's files; a new write got rev $after"

k delete cairncluster archive archive-restored --wait=false >/dev/null
k delete job archive-now --ignore-not-found --wait=false >/dev/null
wait_for 180 "both clusters' member pods are gone" bash -c \
  "[ -z \"\$($K8S_BIN/kubectl get pods -l 'app.kubernetes.io/instance in (archive,archive-restored)' -o name)\" ]"
wait_for 60 "the CronJob is garbage-collected" gone cronjob/archive-backup
[ -n "$(jp pvc/archive-backups '{.metadata.name}')" ] || fail "the backups' claim went with the cluster"
k delete pvc archive-backups --wait=false >/dev/null
step "the CronJob went with the cluster; the backups' claim stayed until deleted by hand"
