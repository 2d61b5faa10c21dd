package io.cairn.operator;

import static io.cairn.operator.CairnClusterReconcilerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.testing.TestNode;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * spec.backup and spec.restoreFrom against fabric8's mock API server: the CronJob runs the
 * image's own `cairn snapshot save` into the claim (the operator's, kept when the cluster goes,
 * or the user's), goes when spec.backup does; members restore on their first start; the
 * conditions say so. What those commands do is ScheduledBackupProcessTest's (real processes)
 * and the e2e backup scenario's (a real Kubernetes).
 */
class ReconcilerBackupTest {
    static final String NS = "shop";
    TestNode cairn;
    OperatorHarness h;

    @BeforeEach
    void start() {
        cairn = TestNode.start();
        h = new OperatorHarness(ClusterProbe.through(c -> CairnClient.connect(cairn.endpoint())));
    }

    @AfterEach
    void stop() {
        h.close();
        cairn.close();
    }

    CairnCluster now() {
        return h.k8s.resources(CairnCluster.class).inNamespace(NS).withName("config").get();
    }

    @Test
    void aScheduleMakesACronJobIntoTheOperatorsClaimAndGoesWithIt() throws Exception {
        CairnCluster c = OperatorHarness.cluster(NS, 1, "ghcr.io/cairn/node:0.1.0");
        CairnClusterSpec.Backup b = new CairnClusterSpec.Backup();
        b.setSchedule("*/15 * * * *");
        b.setKeep(4);
        b.setWithHistory(false);
        c.getSpec().setBackup(b);
        h.k8s.resource(c).create();
        CronJob job = await("the CronJob", () -> h.k8s.batch().v1().cronjobs().inNamespace(NS).withName("config-backup").get());
        assertThat(job.getSpec().getSchedule()).isEqualTo("*/15 * * * *");
        assertThat(job.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
        var pod = job.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers().get(0).getImage()).isEqualTo("ghcr.io/cairn/node:0.1.0");
        assertThat(String.join(" ", pod.getContainers().get(0).getCommand())).endsWith("-jar /app/cairn.jar snapshot save /backups"
                + " --keep 4 --name config --endpoints config-client.shop.svc:8046 --timeout 10m --no-history");
        assertThat(pod.getVolumes().get(0).getPersistentVolumeClaim().getClaimName()).isEqualTo("config-backups");
        assertThat(job.getMetadata().getOwnerReferences()).extracting(o -> o.getName()).containsExactly("config");
        PersistentVolumeClaim claim = await("the claim", () -> h.k8s.persistentVolumeClaims().inNamespace(NS).withName("config-backups").get());
        assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("1Gi");
        assertThat(claim.getMetadata().getOwnerReferences()).as("backups outlive the cluster").isEmpty();
        CairnCluster scheduled = await("BackupScheduled", () -> {
            CairnCluster n = now();
            return n.getStatus() != null && n.getStatus().getConditions().stream()
                    .anyMatch(x -> x.getType().equals("BackupScheduled") && x.getStatus().equals("True")) ? n : null;
        });
        assertThat(scheduled.getStatus().getConditions().stream().filter(x -> x.getType().equals("BackupScheduled")).findFirst()
                .orElseThrow().getMessage()).isEqualTo("CronJob config-backup saves on \"*/15 * * * *\" into PersistentVolumeClaim"
                        + " config-backups, keeping 4; none has succeeded yet");

        // Backups off: the CronJob goes, the claim (and the backups in it) stay.
        OperatorHarness.editCluster(h.k8s, NS, "config", off -> {
            off.getSpec().setBackup(null);
            return off;
        });
        await("the CronJob gone", () -> h.k8s.batch().v1().cronjobs().inNamespace(NS).withName("config-backup").get() == null ? true : null);
        await("the condition gone", () -> now().getStatus().getConditions().stream().noneMatch(x -> x.getType().equals("BackupScheduled"))
                ? true : null);
        assertThat(h.k8s.persistentVolumeClaims().inNamespace(NS).withName("config-backups").get()).isNotNull();
    }

    @Test
    void aClaimOfTheUsersAndTlsAndAuthReachTheCronJob() throws Exception {
        CairnCluster c = OperatorHarness.cluster(NS, 1, "ghcr.io/cairn/node:0.1.0");
        CairnClusterSpec.Backup b = new CairnClusterSpec.Backup();
        b.setSchedule("@hourly");
        b.setClaimName("ops-backups");
        c.getSpec().setBackup(b);
        CairnClusterSpec.Auth auth = new CairnClusterSpec.Auth();
        auth.setEnabled(true);
        c.getSpec().setAuth(auth);
        h.k8s.resource(c).create();
        CronJob job = await("the CronJob", () -> h.k8s.batch().v1().cronjobs().inNamespace(NS).withName("config-backup").get());
        var pod = job.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
        assertThat(String.join(" ", pod.getContainers().get(0).getCommand())).contains("--keep 7")
                .doesNotContain("--no-history").endsWith("--token-file /etc/cairn-auth/token");
        assertThat(pod.getVolumes()).extracting(v -> v.getPersistentVolumeClaim() != null ? v.getPersistentVolumeClaim().getClaimName()
                : v.getSecret().getSecretName()).containsExactly("ops-backups", "config-auth");
        assertThat(pod.getContainers().get(0).getVolumeMounts()).extracting(m -> m.getMountPath())
                .containsExactly("/backups", "/etc/cairn-auth");
        Thread.sleep(500);
        assertThat(h.k8s.persistentVolumeClaims().inNamespace(NS).withName("config-backups").get()).as("no claim of its own").isNull();
    }

    @Test
    void restoreFromMountsTheClaimAndTheFirstMembersRestore() throws Exception {
        // One member, as the probe's node is: a cluster of three would stay Scaling against it.
        CairnCluster c = OperatorHarness.cluster(NS, 1, "ghcr.io/cairn/node:0.1.0");
        CairnClusterSpec.RestoreFrom r = new CairnClusterSpec.RestoreFrom();
        r.setClaimName("old-backups");
        r.setFile("config-20261203T150000Z-r4711.bak");
        c.getSpec().setRestoreFrom(r);
        h.k8s.resource(c).create();
        StatefulSet sts = await("statefulset", () -> h.k8s.apps().statefulSets().inNamespace(NS).withName("config").get());
        var pod = sts.getSpec().getTemplate().getSpec();
        String start = pod.getContainers().get(0).getCommand().get(2);
        // Only the first set restores, and only when the data dir holds no member (NodeMain checks that too).
        assertThat(start).contains("--peers \"$(cat /etc/cairn/peers)\" --restore-from /restore/config-20261203T150000Z-r4711.bak;");
        assertThat(start.indexOf("--restore-from")).isGreaterThan(start.indexOf("if [ -f /var/lib/cairn/cluster.pb ]"));
        assertThat(pod.getContainers().get(0).getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/restore") && m.getReadOnly());
        assertThat(pod.getVolumes()).anyMatch(v -> v.getPersistentVolumeClaim() != null
                && v.getPersistentVolumeClaim().getClaimName().equals("old-backups") && v.getPersistentVolumeClaim().getReadOnly());
        CairnCluster restored = await("Restored", () -> {
            CairnCluster n = now();
            return n.getStatus() != null && n.getStatus().getConditions().stream()
                    .anyMatch(x -> x.getType().equals("Restored") && x.getStatus().equals("True")) ? n : null;
        });
        assertThat(restored.getStatus().getConditions().stream().filter(x -> x.getType().equals("Restored")).findFirst().orElseThrow()
                .getMessage()).contains("config-20261203T150000Z-r4711.bak in PersistentVolumeClaim old-backups");
    }

    @Test
    void badSettingsAreRefusedWithTheReason() {
        CairnClusterSpec s = OperatorHarness.cluster(NS, 1, "img").getSpec();
        CairnClusterSpec.RestoreFrom r = new CairnClusterSpec.RestoreFrom();
        r.setClaimName("x");
        r.setFile("..");
        s.setRestoreFrom(r);
        assertThat(CairnClusterReconciler.invalid(s)).contains("restoreFrom.file is a file name in the claim");
        r.setFile(null);
        assertThat(CairnClusterReconciler.invalid(s)).isEqualTo("restoreFrom needs claimName and file");
        s.setRestoreFrom(null);
        CairnClusterSpec.Backup b = new CairnClusterSpec.Backup();
        s.setBackup(b);
        assertThat(CairnClusterReconciler.invalid(s)).contains("backup.schedule is required");
        b.setSchedule("@daily");
        b.setKeep(0);
        assertThat(CairnClusterReconciler.invalid(s)).isEqualTo("backup.keep must be at least 1, got 0");
        b.setKeep(1);
        assertThat(CairnClusterReconciler.invalid(s)).isNull();
        assertThat(List.of(s.getBackup().isWithHistory())).containsExactly(true);
    }
}
