package io.cairn.operator;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator last saw of a CairnCluster. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CairnClusterStatus {
    private String phase;
    private Integer readyReplicas;
    private List<MemberStatus> members = new ArrayList<>();
    private Long leader;
    private Long revision;
    private List<Condition> conditions = new ArrayList<>();
    private Long observedGeneration;
    /** Members the cluster was created with (they start from the peer list; later ones join). */
    private Integer initialReplicas;
    /** Members the StatefulSet runs now: moves toward spec.replicas one member at a time. */
    private Integer targetReplicas;
    /** When the last scheduled backup succeeded (the CronJob's lastSuccessfulTime), with spec.backup. */
    private String lastBackup;

    public String getLastBackup() {
        return lastBackup;
    }

    public void setLastBackup(String lastBackup) {
        this.lastBackup = lastBackup;
    }

    public Integer getInitialReplicas() {
        return initialReplicas;
    }

    public void setInitialReplicas(Integer initialReplicas) {
        this.initialReplicas = initialReplicas;
    }

    public Integer getTargetReplicas() {
        return targetReplicas;
    }

    public void setTargetReplicas(Integer targetReplicas) {
        this.targetReplicas = targetReplicas;
    }

    /** One member as the cluster reports it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class MemberStatus {
        private long id;
        private String role;
        private boolean leader;
        private String client;

        public MemberStatus() {}

        public MemberStatus(long id, String role, boolean leader, String client) {
            this.id = id;
            this.role = role;
            this.leader = leader;
            this.client = client;
        }

        public long getId() {
            return id;
        }

        public void setId(long id) {
            this.id = id;
        }

        public String getRole() {
            return role;
        }

        public void setRole(String role) {
            this.role = role;
        }

        public boolean isLeader() {
            return leader;
        }

        public void setLeader(boolean leader) {
            this.leader = leader;
        }

        public String getClient() {
            return client;
        }

        public void setClient(String client) {
            this.client = client;
        }
    }

    public String getPhase() {
        return phase;
    }

    public void setPhase(String phase) {
        this.phase = phase;
    }

    public Integer getReadyReplicas() {
        return readyReplicas;
    }

    public void setReadyReplicas(Integer readyReplicas) {
        this.readyReplicas = readyReplicas;
    }

    public List<MemberStatus> getMembers() {
        return members;
    }

    public void setMembers(List<MemberStatus> members) {
        this.members = members;
    }

    public Long getLeader() {
        return leader;
    }

    public void setLeader(Long leader) {
        this.leader = leader;
    }

    public Long getRevision() {
        return revision;
    }

    public void setRevision(Long revision) {
        this.revision = revision;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }
}
