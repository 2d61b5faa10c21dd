package io.cairn.operator;

import io.cairn.proto.Msg.MemberInfo;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a CairnCluster's objects as its spec says (only when the spec is valid: a bad edit never
 * touches a running cluster) (ConfigMap, peer and client Services,
 * StatefulSet, PodDisruptionBudget — JOSDK dependent resources), and its status as the running
 * cluster reports it: phase, ready replicas, members, leader, revision and the Available,
 * Progressing and Degraded conditions.
 */
@Workflow(dependents = {
    @Dependent(name = "config", type = Dependents.NodeConfigMap.class),
    @Dependent(name = "peers", type = Dependents.HeadlessService.class),
    @Dependent(name = "client", type = Dependents.ClientService.class),
    @Dependent(name = "members", type = Dependents.Members.class, dependsOn = {"config", "peers"}),
    @Dependent(name = "budget", type = Dependents.Budget.class),
    @Dependent(name = "backup", type = ClusterBackup.Schedule.class, reconcilePrecondition = ClusterBackup.Wanted.class)
}, handleExceptionsInReconciler = true, explicitInvocation = true)
@ControllerConfiguration(name = "cairncluster")
public class CairnClusterReconciler implements Reconciler<CairnCluster> {
    private static final Logger log = LoggerFactory.getLogger(CairnClusterReconciler.class);
    private final ClusterProbe probe;
    private final OperatorMetrics metrics;

    public CairnClusterReconciler(ClusterProbe probe) {
        this(probe, new OperatorMetrics());
    }

    CairnClusterReconciler(ClusterProbe probe, OperatorMetrics metrics) {
        this.probe = probe;
        this.metrics = metrics;
    }

    /** What is wrong with a spec, or null. (The CRD's schema says the same to the API server.) */
    static String invalid(CairnClusterSpec s) {
        if (s == null) {
            return "spec is missing";
        }
        if (s.getReplicas() < 1 || s.getReplicas() > 7 || s.getReplicas() % 2 == 0) {
            return "replicas must be odd and 1 to 7, got " + s.getReplicas();
        }
        if (s.getImage() == null || s.getImage().isBlank()) {
            return "image is required";
        }
        if (s.getStorage() != null && s.getStorage().getSize() != null
                && !s.getStorage().getSize().matches("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")) {
            return "storage.size \"" + s.getStorage().getSize() + "\" is not a quantity like 1Gi";
        }
        if (s.getTls() != null && (s.getTls().getSecretName() == null) != (s.getTls().getClientSecretName() == null)) {
            return "tls.secretName and tls.clientSecretName go together: name both Secrets, or neither and the operator makes them";
        }
        String backup = ClusterBackup.invalid(s);
        return backup != null ? backup : ClusterAuth.invalid(s.getAuth());
    }

    @Override
    public UpdateControl<CairnCluster> reconcile(CairnCluster c, Context<CairnCluster> context) {
        long began = System.nanoTime();
        UpdateControl<CairnCluster> done = reconcileOnce(c, context);
        CairnClusterStatus s = c.getStatus();
        String phase = s == null || s.getPhase() == null ? "Unknown" : s.getPhase();
        metrics.reconcileSeconds.labelValues(phase).observe((System.nanoTime() - began) / 1e9);
        if (s != null) {
            s.getConditions().stream().filter(x -> x.getType().equals("Degraded") && x.getStatus().equals("True")).findFirst()
                    .ifPresent(x -> metrics.reconcileErrors.labelValues(x.getReason()).inc());
        }
        return done;
    }

    private UpdateControl<CairnCluster> reconcileOnce(CairnCluster c, Context<CairnCluster> context) {
        CairnClusterStatus status = c.getStatus() == null ? new CairnClusterStatus() : c.getStatus();
        c.setStatus(status);
        String previousPhase = status.getPhase();
        status.setObservedGeneration(c.getMetadata().getGeneration());
        String problem = invalid(c.getSpec());
        if (problem != null) {
            status.setPhase("Invalid");
            setCondition(status, "Degraded", "True", "InvalidSpec", problem);
            setCondition(status, "Available", "False", "InvalidSpec", problem);
            log.info("CairnCluster {}/{}: invalid spec: {}", c.getMetadata().getNamespace(), c.getMetadata().getName(), problem);
            if (!"Invalid".equals(previousPhase)) {
                ClusterEvents.warning(context.getClient(), c, "InvalidSpec", problem);
            }
            return UpdateControl.patchStatus(c);
        }
        // TLS Secrets first: the members mount them.
        try {
            List<String> issued = ClusterTls.ensure(context.getClient(), c, Instant.now());
            if (!issued.isEmpty()) {
                ClusterEvents.normal(context.getClient(), c, "CertificatesIssued", "TLS Secrets issued: " + String.join(", ", issued));
            }
        } catch (RuntimeException e) {
            String why = "TLS: " + e.getMessage();
            status.setPhase("Degraded");
            setCondition(status, "Degraded", "True", "TlsNotReady", why);
            log.warn("CairnCluster {}/{}: {}", c.getMetadata().getNamespace(), c.getMetadata().getName(), why);
            if (!"Degraded".equals(previousPhase)) {
                ClusterEvents.warning(context.getClient(), c, "TlsNotReady", why);
            }
            return UpdateControl.patchStatus(c).rescheduleAfter(Duration.ofSeconds(10));
        }
        if (ClusterAuth.ensure(context.getClient(), c)) {
            ClusterEvents.normal(context.getClient(), c, "AuthTokenIssued", "the operator's admin token is in Secret " + ClusterAuth.secret(c));
        }
        if (ClusterBackup.ensureClaim(context.getClient(), c)) {
            ClusterEvents.normal(context.getClient(), c, "BackupClaimCreated", "backups go into PersistentVolumeClaim " + ClusterBackup.claim(c)
                    + " (kept when the cluster is deleted)");
        }
        // Only a valid spec reaches the dependents: an invalid one neither creates nor changes anything.
        var workflow = context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
        if (workflow.erroredDependentsExist()) {
            String why = workflow.getErroredDependents().values().iterator().next().getMessage();
            status.setPhase("Degraded");
            setCondition(status, "Degraded", "True", "ReconcileFailed", why);
            return UpdateControl.patchStatus(c).rescheduleAfter(Duration.ofSeconds(10));
        }
        StatefulSet sts = context.getSecondaryResources(StatefulSet.class).stream()
                .filter(s -> s.getMetadata().getName().equals(c.getMetadata().getName())).findFirst().orElse(null);
        int ready = sts == null || sts.getStatus() == null || sts.getStatus().getReadyReplicas() == null ? 0
                : sts.getStatus().getReadyReplicas();
        status.setReadyReplicas(ready);
        ClusterProbe.State state = probe.probe(c);
        if (state != null) {
            List<CairnClusterStatus.MemberStatus> members = new ArrayList<>();
            Long leader = null;
            for (MemberInfo m : state.members()) {
                members.add(new CairnClusterStatus.MemberStatus(m.getId(), m.getLearner() ? "learner" : "voter", m.getLeader(),
                        m.getClientAddr()));
                if (m.getLeader()) {
                    leader = m.getId();
                }
            }
            status.setMembers(members);
            status.setLeader(leader);
            status.setRevision(state.revision());
        }
        if (status.getInitialReplicas() == null) {
            status.setInitialReplicas(c.getSpec().getReplicas());
        }
        int target = Names.target(c);
        Integer running = sts == null || sts.getStatus() == null ? null : sts.getStatus().getReplicas();
        if (state != null && status.getLeader() != null && running != null && running == target) {
            // One step at a time: only once the StatefulSet runs exactly the pods of the last step.
            int next = scaleStep(c, state, target);
            if (next > target) {
                ClusterEvents.normal(context.getClient(), c, "MemberAdded", "growing to " + next + " members; member " + next + " joins");
            } else if (next < target) {
                ClusterEvents.normal(context.getClient(), c, "MemberRemoved", "member " + target + " left the membership; its pod goes");
            }
            target = next;
        }
        status.setTargetReplicas(target);
        boolean upgrading = false;
        if (state != null && status.getLeader() != null && running != null && running == target) {
            upgrading = rollOnePod(c, context, sts, status.getLeader());
        }
        boolean available = state != null && status.getLeader() != null;
        if (available && ClusterAuth.enabled(c)) {
            applyPolicy(c, context, status);
        } else if (!ClusterAuth.enabled(c)) {
            status.getConditions().removeIf(x -> x.getType().equals("PolicyApplied"));
        }
        backupConditions(c, context, status, available);
        boolean complete = available && status.getMembers().size() == c.getSpec().getReplicas() && target == c.getSpec().getReplicas()
                && running != null && running == target
                && status.getMembers().stream().noneMatch(m -> "learner".equals(m.getRole()));
        if (upgrading) {
            complete = false;
        }
        status.setPhase(upgrading ? "Upgrading" : complete ? "Running" : available ? "Scaling" : "Pending");
        setCondition(status, "Degraded", "False", "AsDeclared", "the spec is valid and its objects are in place");
        setCondition(status, "Available", available ? "True" : "False", available ? "LeaderElected" : "NoLeader",
                available ? "member " + status.getLeader() + " leads at revision " + status.getRevision()
                        : "the cluster does not answer yet");
        setCondition(status, "Progressing", complete ? "False" : "True", complete ? "Settled" : "Converging",
                complete ? "all " + c.getSpec().getReplicas() + " members are in the cluster"
                        : status.getMembers().size() + " of " + c.getSpec().getReplicas() + " members are in the cluster");
        return UpdateControl.patchStatus(c).rescheduleAfter(Duration.ofSeconds(upgrading ? 2 : complete ? 30 : 5));
    }

    /** BackupScheduled (with spec.backup: the CronJob and its last success) and Restored (with spec.restoreFrom). */
    private static void backupConditions(CairnCluster c, Context<CairnCluster> context, CairnClusterStatus status, boolean available) {
        CairnClusterSpec.Backup b = c.getSpec().getBackup();
        if (b == null) {
            status.getConditions().removeIf(x -> x.getType().equals("BackupScheduled"));
            status.setLastBackup(null);
        } else {
            var job = context.getSecondaryResources(io.fabric8.kubernetes.api.model.batch.v1.CronJob.class).stream()
                    .filter(j -> j.getMetadata().getName().equals(ClusterBackup.cronJob(c))).findFirst().orElse(null);
            String last = job == null || job.getStatus() == null ? null : job.getStatus().getLastSuccessfulTime();
            status.setLastBackup(last);
            setCondition(status, "BackupScheduled", job != null ? "True" : "False", job != null ? "Scheduled" : "NotYetCreated",
                    "CronJob " + ClusterBackup.cronJob(c) + " saves on \"" + b.getSchedule() + "\" into PersistentVolumeClaim "
                            + ClusterBackup.claim(c) + ", keeping " + b.getKeep() + (last == null ? "; none has succeeded yet"
                            : "; the last succeeded at " + last));
        }
        CairnClusterSpec.RestoreFrom r = c.getSpec().getRestoreFrom();
        if (r == null) {
            status.getConditions().removeIf(x -> x.getType().equals("Restored"));
        } else {
            String from = r.getFile() + " in PersistentVolumeClaim " + r.getClaimName();
            setCondition(status, "Restored", available ? "True" : "False", available ? "FromBackup" : "Restoring",
                    available ? "the members began as " + from + " (a member restores only on its first start)"
                            : "the members begin as " + from + " on their first start");
        }
    }

    /** Writes the policy the operator keeps (default and spec rules) and says how that went on the status. */
    private void applyPolicy(CairnCluster c, Context<CairnCluster> context, CairnClusterStatus status) {
        java.util.Map<String, String> rules = ClusterAuth.rules(c);
        try {
            int changed = probe.applyPolicy(c, rules);
            if (changed > 0) {
                log.info("CairnCluster {}/{}: policy applied ({} rules kept, {} changed)", c.getMetadata().getNamespace(),
                        c.getMetadata().getName(), rules.size(), changed);
                ClusterEvents.normal(context.getClient(), c, "PolicyApplied", rules.size() + " rules kept, " + changed + " changed");
            }
            setCondition(status, "PolicyApplied", "True", "AsDeclared", rules.size() + " rules kept under " + ClusterAuth.RULES);
        } catch (RuntimeException e) {
            String why = e.getMessage();
            log.warn("CairnCluster {}/{}: writing the policy failed: {}", c.getMetadata().getNamespace(), c.getMetadata().getName(), why);
            setCondition(status, "PolicyApplied", "False", "WriteFailed", why);
        }
    }

    /**
     * One step of a change of replicas, through membership, one member at a time. Growing: once
     * every running pod is a voting member, one more pod (it joins as a learner and is promoted
     * when caught up). Shrinking: the highest member leaves the membership first (the leader
     * hands over if it is the one), and only then does its pod go.
     */
    private int scaleStep(CairnCluster c, ClusterProbe.State state, int target) {
        int want = c.getSpec().getReplicas();
        long voters = state.members().stream().filter(m -> !m.getLearner()).count();
        boolean settled = voters == state.members().size();
        if (want > target && settled && voters >= target) {
            log.info("CairnCluster {}/{}: growing to {} members (member {} joins)", c.getMetadata().getNamespace(),
                    c.getMetadata().getName(), target + 1, target + 1);
            return target + 1;
        }
        if (want < target) {
            long leaving = target;
            boolean stillMember = state.members().stream().anyMatch(m -> m.getId() == leaving);
            if (stillMember) {
                log.info("CairnCluster {}/{}: removing member {} from the membership before its pod",
                        c.getMetadata().getNamespace(), c.getMetadata().getName(), leaving);
                try {
                    probe.removeMember(c, leaving);
                } catch (RuntimeException e) {
                    log.warn("removing member {} failed ({}); will retry", leaving, e.getMessage());
                }
                return target;
            }
            return target - 1;
        }
        return target;
    }

    /**
     * A rolling upgrade, one pod at a time (the StatefulSet's update strategy is OnDelete, so
     * the operator decides): only while every pod is ready (the quorum holds), and the leader's
     * pod last, so the cluster changes leader once.
     */
    private boolean rollOnePod(CairnCluster c, Context<CairnCluster> context, StatefulSet sts, long leader) {
        if (sts == null || sts.getStatus() == null || sts.getStatus().getUpdateRevision() == null) {
            return false;
        }
        String update = sts.getStatus().getUpdateRevision();
        var pods = context.getClient().pods().inNamespace(c.getMetadata().getNamespace())
                .withLabels(Names.selector(c)).list().getItems();
        boolean allReady = !pods.isEmpty() && pods.stream().allMatch(p -> p.getStatus() != null && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream().anyMatch(x -> "Ready".equals(x.getType()) && "True".equals(x.getStatus()))
                && p.getMetadata().getDeletionTimestamp() == null);
        boolean behind = pods.stream().anyMatch(p -> p.getMetadata().getLabels() == null
                || !update.equals(p.getMetadata().getLabels().get("controller-revision-hash")));
        if (!allReady) {
            return behind;
        }
        io.fabric8.kubernetes.api.model.Pod next = null;
        for (var p : pods) {
            String rev = p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get("controller-revision-hash");
            if (update.equals(rev)) {
                continue;
            }
            String name = p.getMetadata().getName();
            long member = Long.parseLong(name.substring(name.lastIndexOf('-') + 1)) + 1;
            if (next == null || member != leader) {
                next = p; // anything but the leader first
                if (member != leader) {
                    break;
                }
            }
        }
        if (next != null) {
            log.info("CairnCluster {}/{}: rolling pod {} to revision {}", c.getMetadata().getNamespace(), c.getMetadata().getName(),
                    next.getMetadata().getName(), update);
            context.getClient().pods().inNamespace(c.getMetadata().getNamespace()).withName(next.getMetadata().getName()).delete();
            ClusterEvents.normal(context.getClient(), c, "PodRolled", "restarted " + next.getMetadata().getName() + " for revision " + update);
        }
        return behind;
    }

    @Override
    public ErrorStatusUpdateControl<CairnCluster> updateErrorStatus(CairnCluster c, Context<CairnCluster> context, Exception e) {
        metrics.reconcileErrors.labelValues("Exception").inc();
        CairnClusterStatus status = c.getStatus() == null ? new CairnClusterStatus() : c.getStatus();
        c.setStatus(status);
        status.setPhase("Degraded");
        setCondition(status, "Degraded", "True", "ReconcileFailed", String.valueOf(e.getMessage()));
        return ErrorStatusUpdateControl.patchStatus(c);
    }

    static void setCondition(CairnClusterStatus status, String type, String value, String reason, String message) {
        List<Condition> conditions = status.getConditions();
        Condition existing = conditions.stream().filter(x -> type.equals(x.getType())).findFirst().orElse(null);
        String now = Instant.now().toString();
        if (existing != null && value.equals(existing.getStatus())) {
            existing.setReason(reason);
            existing.setMessage(message);
            return;
        }
        conditions.removeIf(x -> type.equals(x.getType()));
        conditions.add(new ConditionBuilder().withType(type).withStatus(value).withReason(reason).withMessage(message)
                .withLastTransitionTime(now).build());
    }
}
