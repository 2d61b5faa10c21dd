package io.cairn.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A CairnCluster's backups and its restore. With {@code spec.backup}, a CronJob (NAME-backup)
 * runs the image's own {@code cairn snapshot save DIR --keep N} against the client Service on
 * the schedule, into a claim: the user's, or NAME-backups, which the operator makes (and never
 * deletes). With
 * {@code spec.restoreFrom}, the members mount the backup's claim read-only and each member of
 * the first set starts with {@code --restore-from}, which takes effect only while its data
 * directory holds no member yet; so a cluster is built from the backup once, and its restarts
 * and rolling upgrades keep what it has.
 */
final class ClusterBackup {
    /** Where the backup claim is mounted in the CronJob's pod. */
    static final String BACKUP_DIR = "/backups";
    /** Where the restore claim is mounted in the members. */
    static final String RESTORE_DIR = "/restore";
    /** The command line inside the node image (docker/node.Dockerfile puts it there). */
    static final List<String> CLI = List.of("java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx1g", "-jar", "/app/cairn.jar");

    private ClusterBackup() {}

    static String cronJob(CairnCluster c) {
        return c.getMetadata().getName() + "-backup";
    }

    /** The claim backups go into. */
    static String claim(CairnCluster c) {
        CairnClusterSpec.Backup b = c.getSpec().getBackup();
        return b.getClaimName() != null ? b.getClaimName() : c.getMetadata().getName() + "-backups";
    }

    /** What is wrong with the backup and restore settings, or null. (The CRD's schema says most of it to the API server.) */
    static String invalid(CairnClusterSpec s) {
        CairnClusterSpec.Backup b = s.getBackup();
        if (b != null) {
            if (b.getSchedule() == null || b.getSchedule().isBlank()) {
                return "backup.schedule is required (a CronJob schedule like \"0 * * * *\")";
            }
            if (b.getKeep() < 1) {
                return "backup.keep must be at least 1, got " + b.getKeep();
            }
        }
        CairnClusterSpec.RestoreFrom r = s.getRestoreFrom();
        if (r != null) {
            if (r.getClaimName() == null || r.getClaimName().isBlank() || r.getFile() == null || r.getFile().isBlank()) {
                return "restoreFrom needs claimName and file";
            }
            if (!r.getFile().matches("[A-Za-z0-9._-]+") || r.getFile().equals(".") || r.getFile().equals("..")) {
                return "restoreFrom.file is a file name in the claim, like config-20261203T150000Z-r4711.bak, not \"" + r.getFile() + "\"";
            }
        }
        return null;
    }

    /** The members' extra flag on their first start, empty without spec.restoreFrom. */
    static String restoreFlag(CairnCluster c) {
        CairnClusterSpec.RestoreFrom r = c.getSpec().getRestoreFrom();
        return r == null ? "" : " --restore-from " + RESTORE_DIR + "/" + r.getFile();
    }

    /** Mounts the restore claim into the members, read-only, with spec.restoreFrom. */
    static void mountRestore(CairnCluster c, PodSpec pod) {
        CairnClusterSpec.RestoreFrom r = c.getSpec().getRestoreFrom();
        if (r == null) {
            return;
        }
        pod.getContainers().get(0).getVolumeMounts().add(new VolumeMountBuilder().withName("restore").withMountPath(RESTORE_DIR)
                .withReadOnly(true).build());
        pod.getVolumes().add(new VolumeBuilder().withName("restore").withNewPersistentVolumeClaim().withClaimName(r.getClaimName())
                .withReadOnly(true).endPersistentVolumeClaim().build());
    }

    /** The command the CronJob's pod runs. */
    static List<String> saveCommand(CairnCluster c) {
        CairnClusterSpec.Backup b = c.getSpec().getBackup();
        List<String> cmd = new ArrayList<>(CLI);
        cmd.addAll(List.of("snapshot", "save", BACKUP_DIR, "--keep", Integer.toString(b.getKeep()), "--name", c.getMetadata().getName(),
                "--endpoints", Names.client(c) + "." + c.getMetadata().getNamespace() + ".svc:8046", "--timeout", "10m"));
        if (!b.isWithHistory()) {
            cmd.add("--no-history");
        }
        if (ClusterTls.enabled(c)) {
            cmd.addAll(List.of("--cacert", Dependents.TLS_DIR + "/ca.crt", "--cert", Dependents.TLS_DIR + "/tls.crt",
                    "--key", Dependents.TLS_DIR + "/tls.key"));
        }
        if (ClusterAuth.enabled(c)) {
            cmd.addAll(List.of("--token-file", ClusterAuth.DIR + "/" + ClusterAuth.TOKEN));
        }
        return cmd;
    }

    /** spec.backup is set. */
    public static final class Wanted implements Condition<CronJob, CairnCluster> {
        @Override
        public boolean isMet(DependentResource<CronJob, CairnCluster> d, CairnCluster c, Context<CairnCluster> context) {
            return c.getSpec().getBackup() != null;
        }
    }

    /**
     * Makes NAME-backups when spec.backup names no claim of the user's and it does not exist yet;
     * true when it made it. Never changed or deleted by the operator, and not owned by the
     * cluster: backups are worth most when the cluster is gone.
     */
    static boolean ensureClaim(KubernetesClient k8s, CairnCluster c) {
        CairnClusterSpec.Backup b = c.getSpec().getBackup();
        if (b == null || b.getClaimName() != null) {
            return false;
        }
        var claims = k8s.persistentVolumeClaims().inNamespace(c.getMetadata().getNamespace());
        if (claims.withName(claim(c)).get() != null) {
            return false;
        }
        claims.resource(new PersistentVolumeClaimBuilder().withNewMetadata().withName(claim(c)).withNamespace(c.getMetadata().getNamespace())
                .withLabels(Names.selector(c)).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName(b.getStorageClassName())
                .withNewResources().withRequests(Map.of("storage", new Quantity(b.getSize()))).endResources().endSpec().build()).create();
        return true;
    }

    /** NAME-backup: one save at a time, on the schedule. */
    static final class Schedule extends CRUDKubernetesDependentResource<CronJob, CairnCluster> {
        Schedule() {
            super(CronJob.class);
        }

        /**
         * By name, not from {@link #desired}: when spec.backup goes, the CronJob is found to be
         * deleted while there is no desired one (JOSDK's default asks desired() for the name).
         */
        @Override
        protected ResourceID targetSecondaryResourceID(CairnCluster c, Context<CairnCluster> context) {
            return new ResourceID(cronJob(c), c.getMetadata().getNamespace());
        }

        @Override
        protected CronJob desired(CairnCluster c, Context<CairnCluster> context) {
            CairnClusterSpec.Backup b = c.getSpec().getBackup();
            Container save = new ContainerBuilder().withName("save").withImage(c.getSpec().getImage()).withCommand(saveCommand(c))
                    .addNewVolumeMount().withName("backups").withMountPath(BACKUP_DIR).endVolumeMount().build();
            CronJob job = new CronJobBuilder().withNewMetadata().withName(cronJob(c)).withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Names.selector(c)).endMetadata()
                    .withNewSpec().withSchedule(b.getSchedule()).withConcurrencyPolicy("Forbid")
                    .withSuccessfulJobsHistoryLimit(3).withFailedJobsHistoryLimit(3)
                    .withNewJobTemplate().withNewSpec().withBackoffLimit(2)
                    .withNewTemplate().withNewMetadata().withLabels(Map.of("app.kubernetes.io/name", "cairn-backup",
                            "app.kubernetes.io/instance", c.getMetadata().getName())).endMetadata()
                    .withNewSpec().withRestartPolicy("OnFailure").withContainers(save)
                    .addNewVolume().withName("backups").withNewPersistentVolumeClaim().withClaimName(claim(c)).endPersistentVolumeClaim()
                    .endVolume()
                    .endSpec().endTemplate().endSpec().endJobTemplate().endSpec().build();
            PodSpec pod = job.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
            // The job's own container: the builder copied the one given to it.
            Container inJob = pod.getContainers().get(0);
            if (ClusterTls.enabled(c)) {
                Dependents.mountSecret(pod, inJob, "tls", ClusterTls.clientSecret(c), Dependents.TLS_DIR);
            }
            if (ClusterAuth.enabled(c)) {
                Dependents.mountSecret(pod, inJob, "auth", ClusterAuth.secret(c), ClusterAuth.DIR);
            }
            return job;
        }
    }
}
