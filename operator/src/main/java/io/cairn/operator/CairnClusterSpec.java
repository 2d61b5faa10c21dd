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
}
