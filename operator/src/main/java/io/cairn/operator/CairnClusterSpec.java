package io.cairn.operator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.Map;

/** What a CairnCluster asks for. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CairnClusterSpec {
    @JsonPropertyDescription("Number of members: odd, 1 to 7.")
    @Min(1)
    @Max(7)
    @ValidationRule(value = "self % 2 == 1", message = "replicas must be odd (1, 3, 5 or 7), so a majority is well defined")
    private int replicas = 3;

    @JsonPropertyDescription("The cairn-node image.")
    @Required
    @Pattern("^[a-z0-9]([a-z0-9._/:@-]*[a-z0-9])?$")
    private String image;

    @JsonPropertyDescription("Persistent storage for each member's log and snapshots.")
    private Storage storage = new Storage();

    @JsonPropertyDescription("CPU and memory for each member.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("TLS for the client and peer protocols.")
    private Tls tls;

    @JsonPropertyDescription("Who may read, write and watch what: identities from service-account tokens and the policy.")
    private Auth auth;

    @JsonPropertyDescription("Scheduled backups (cairn snapshot save, run by a CronJob) into a volume, the newest kept.")
    private Backup backup;

    @JsonPropertyDescription("Build the cluster from a backup: each member of the first set begins as the backup, at its"
            + " revision, on its first start. Later starts keep what the member has.")
    private RestoreFrom restoreFrom;

    @JsonPropertyDescription("Revisions kept readable and replayable to watchers (default 100000).")
    @Min(1)
    private Long history;

    @JsonPropertyDescription("Extra labels for the member pods.")
    private Map<String, String> podLabels;

    @JsonPropertyDescription("Extra annotations for the member pods.")
    private Map<String, String> podAnnotations;

    @JsonPropertyDescription("Node selector for the member pods.")
    private Map<String, String> nodeSelector;

    public int getReplicas() {
        return replicas;
    }

    public void setReplicas(int replicas) {
        this.replicas = replicas;
    }

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public Storage getStorage() {
        return storage;
    }

    public void setStorage(Storage storage) {
        this.storage = storage;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    public Tls getTls() {
        return tls;
    }

    public void setTls(Tls tls) {
        this.tls = tls;
    }

    public Auth getAuth() {
        return auth;
    }

    public void setAuth(Auth auth) {
        this.auth = auth;
    }

    public Backup getBackup() {
        return backup;
    }

    public void setBackup(Backup backup) {
        this.backup = backup;
    }

    public RestoreFrom getRestoreFrom() {
        return restoreFrom;
    }

    public void setRestoreFrom(RestoreFrom restoreFrom) {
        this.restoreFrom = restoreFrom;
    }

    public Long getHistory() {
        return history;
    }

    public void setHistory(Long history) {
        this.history = history;
    }

    public Map<String, String> getPodLabels() {
        return podLabels;
    }

    public void setPodLabels(Map<String, String> podLabels) {
        this.podLabels = podLabels;
    }

    public Map<String, String> getPodAnnotations() {
        return podAnnotations;
    }

    public void setPodAnnotations(Map<String, String> podAnnotations) {
        this.podAnnotations = podAnnotations;
    }

    public Map<String, String> getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(Map<String, String> nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    /** Scheduled backups: a CronJob runs {@code cairn snapshot save DIR --keep N} against the cluster. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Backup {
        @JsonPropertyDescription("When, as a CronJob schedule (five fields, like \"0 * * * *\" or \"@hourly\").")
        @Required
        @Pattern("^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\\S+( +\\S+){4})$")
        private String schedule;

        @JsonPropertyDescription("How many backups to keep, the newest (default 7).")
        @Min(1)
        private int keep = 7;

        @JsonPropertyDescription("An existing PersistentVolumeClaim to write into; without it the operator makes NAME-backups.")
        @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        private String claimName;

        @JsonPropertyDescription("Size of the claim the operator makes (default 1Gi).")
        @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
        private String size = "1Gi";

        @JsonPropertyDescription("Storage class of the claim the operator makes; the cluster default when empty.")
        private String storageClassName;

        @JsonPropertyDescription("Include the retained history, so past revisions stay readable after a restore (default true).")
        private boolean withHistory = true;

        public String getSchedule() {
            return schedule;
        }

        public void setSchedule(String schedule) {
            this.schedule = schedule;
        }

        public int getKeep() {
            return keep;
        }

        public void setKeep(int keep) {
            this.keep = keep;
        }

        public String getClaimName() {
            return claimName;
        }

        public void setClaimName(String claimName) {
            this.claimName = claimName;
        }

        public String getSize() {
            return size;
        }

        public void setSize(String size) {
            this.size = size;
        }

        public String getStorageClassName() {
            return storageClassName;
        }

        public void setStorageClassName(String storageClassName) {
            this.storageClassName = storageClassName;
        }

        public boolean isWithHistory() {
            return withHistory;
        }

        public void setWithHistory(boolean withHistory) {
            this.withHistory = withHistory;
        }
    }

    /** The backup a new cluster begins as: a file in a PersistentVolumeClaim (one spec.backup wrote, say). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RestoreFrom {
        @JsonPropertyDescription("The PersistentVolumeClaim that holds the backup (mounted read-only into the members).")
        @Required
        @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        private String claimName;

        @JsonPropertyDescription("The backup's file name in the claim, like config-20261203T150000Z-r4711.bak.")
        @Required
        @Pattern("^[A-Za-z0-9._-]+$")
        private String file;

        public String getClaimName() {
            return claimName;
        }

        public void setClaimName(String claimName) {
            this.claimName = claimName;
        }

        public String getFile() {
            return file;
        }

        public void setFile(String file) {
            this.file = file;
        }
    }

    /** Storage of one member. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Storage {
        @JsonPropertyDescription("Volume size, a Kubernetes quantity (default 1Gi).")
        @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
        private String size = "1Gi";

        @JsonPropertyDescription("Storage class; the cluster default when empty.")
        private String storageClassName;

        @JsonPropertyDescription("Delete the members' volumes when the CairnCluster is deleted (default: keep them).")
        private boolean deleteVolumesWithCluster;

        public String getSize() {
            return size;
        }

        public void setSize(String size) {
            this.size = size;
        }

        public String getStorageClassName() {
            return storageClassName;
        }

        public void setStorageClassName(String storageClassName) {
            this.storageClassName = storageClassName;
        }

        public boolean isDeleteVolumesWithCluster() {
            return deleteVolumesWithCluster;
        }

        public void setDeleteVolumesWithCluster(boolean deleteVolumesWithCluster) {
            this.deleteVolumesWithCluster = deleteVolumesWithCluster;
        }
    }

    /**
     * TLS settings. Without Secrets named, the operator makes and renews them: a CA
     * (NAME-ca, never mounted), the members' certificate (NAME-member-tls) and a client
     * certificate (NAME-client-tls) for itself and for sidecars.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "has(self.secretName) == has(self.clientSecretName)",
            message = "tls.secretName and tls.clientSecretName go together: name both Secrets, or neither and the operator makes them")
    public static class Tls {
        @JsonPropertyDescription("Serve TLS on the client, peer and HTTP ports (default false).")
        private boolean enabled;

        @JsonPropertyDescription("Secret with the members' tls.crt, tls.key (PKCS#8) and ca.crt; made by the operator when empty."
                + " The certificate must be for both server and client use and name *.NAME-peers.NAMESPACE.svc and"
                + " NAME-client.NAMESPACE.svc.")
        @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        private String secretName;

        @JsonPropertyDescription("Secret with a client tls.crt, tls.key and ca.crt the operator connects with; required with"
                + " secretName, made by the operator otherwise.")
        @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        private String clientSecretName;

        @JsonPropertyDescription("Clients must show a certificate from the cluster's CA (default true).")
        private Boolean clientCertAuth;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getSecretName() {
            return secretName;
        }

        public void setSecretName(String secretName) {
            this.secretName = secretName;
        }

        public String getClientSecretName() {
            return clientSecretName;
        }

        public void setClientSecretName(String clientSecretName) {
            this.clientSecretName = clientSecretName;
        }

        public Boolean getClientCertAuth() {
            return clientCertAuth;
        }

        public void setClientCertAuth(Boolean clientCertAuth) {
            this.clientCertAuth = clientCertAuth;
        }

        /** Client certificates are required unless the spec says false. */
        boolean requiresClientCerts() {
            return clientCertAuth == null || clientCertAuth;
        }
    }

    /**
     * Authorization: members check every request against the policy under /ctl/acl, and take
     * Kubernetes service-account tokens (audience {@code audience}) as identities, verified
     * against the issuer's keys. The operator is the admin: it keeps a token for itself in
     * NAME-auth and writes the default policy and {@code rules}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Auth {
        @JsonPropertyDescription("Enforce the policy (deny by default); sidecars get a projected service-account token (default false).")
        private boolean enabled;

        @JsonPropertyDescription("Where members fetch the service-account issuer's keys (default "
                + "https://kubernetes.default.svc/openid/v1/jwks), with their own token and the cluster CA.")
        @Pattern("^https?://\\S+$")
        private String jwksUrl;

        @JsonPropertyDescription("The iss a token must name (default: any).")
        private String issuer;

        @JsonPropertyDescription("The audience of the tokens sidecars show (default cairn).")
        @Pattern("^[A-Za-z0-9._:/-]+$")
        private String audience;

        @JsonPropertyDescription("Write the default policy: every service account reads and watches /config/NAMESPACE/** and "
                + "writes its own presence, /presence/NAMESPACE/*/POD (default true).")
        private Boolean defaultPolicy;

        @JsonPropertyDescription("More rules, kept by the operator under /ctl/acl/rules/spec-NAME.")
        private java.util.List<Rule> rules;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getJwksUrl() {
            return jwksUrl;
        }

        public void setJwksUrl(String jwksUrl) {
            this.jwksUrl = jwksUrl;
        }

        public String getIssuer() {
            return issuer;
        }

        public void setIssuer(String issuer) {
            this.issuer = issuer;
        }

        public String getAudience() {
            return audience;
        }

        public void setAudience(String audience) {
            this.audience = audience;
        }

        public Boolean getDefaultPolicy() {
            return defaultPolicy;
        }

        public void setDefaultPolicy(Boolean defaultPolicy) {
            this.defaultPolicy = defaultPolicy;
        }

        public java.util.List<Rule> getRules() {
            return rules;
        }

        public void setRules(java.util.List<Rule> rules) {
            this.rules = rules;
        }

        String jwks() {
            return jwksUrl != null ? jwksUrl : "https://kubernetes.default.svc/openid/v1/jwks";
        }

        String audienceOrDefault() {
            return audience != null ? audience : "cairn";
        }

        boolean writesDefaultPolicy() {
            return defaultPolicy == null || defaultPolicy;
        }
    }

    /** One rule of the policy, as /ctl/acl/rules holds it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Rule {
        @JsonPropertyDescription("The rule's name: letters, digits, '.', '_' and '-'.")
        @Required
        @Pattern("^[A-Za-z0-9._-]+$")
        private String name;

        @JsonPropertyDescription("An identity (system:serviceaccount:NS:SA, a certificate or token user) or group:NAME; * matches anything.")
        @Required
        private String subject;

        @JsonPropertyDescription("A path glob; may use {namespace}, {serviceaccount} and {pod}.")
        @Required
        @Pattern("^/.*$")
        private String path;

        @JsonPropertyDescription("read, write, watch, admin.")
        @Required
        private java.util.List<String> rights;

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public String getSubject() {
            return subject;
        }

        public void setSubject(String subject) {
            this.subject = subject;
        }

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public java.util.List<String> getRights() {
            return rights;
        }

        public void setRights(java.util.List<String> rights) {
            this.rights = rights;
        }
    }
}
