package io.cairn.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import java.util.HashMap;
import java.util.Map;

/** The Kubernetes objects a CairnCluster is made of, each the desired state of a dependent resource. */
final class Dependents {
    /** How a pod starts its member: docker/node.Dockerfile's ENTRYPOINT (a test holds them alike). */
    static final String NODE_JAVA = "java -XX:+UseG1GC -XX:MaxGCPauseMillis=30 -XX:MaxTenuringThreshold=0"
            + " -XX:SharedArchiveFile=/app/cairn-node.jsa -jar /app/cairn-node.jar";

    private Dependents() {}

    /** Member settings every pod reads. */
    static final class NodeConfigMap extends CRUDKubernetesDependentResource<ConfigMap, CairnCluster> {
        NodeConfigMap() {
            super(ConfigMap.class);
        }

        @Override
        protected ConfigMap desired(CairnCluster c, Context<CairnCluster> context) {
            Map<String, String> data = new HashMap<>();
            data.put("peers", Names.peers(c));
            data.put("initial", String.valueOf(Names.initial(c)));
            data.put("join", Names.client(c) + "." + c.getMetadata().getNamespace() + ".svc:8046");
            data.put("history", String.valueOf(c.getSpec().getHistory() == null ? 100_000 : c.getSpec().getHistory()));
            return new ConfigMapBuilder().withNewMetadata().withName(Names.config(c)).withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Names.selector(c)).endMetadata().withData(data).build();
        }
    }

    /** Stable peer names: member-N.NAME-peers.NS.svc. */
    static final class HeadlessService extends CRUDKubernetesDependentResource<Service, CairnCluster> {
        HeadlessService() {
            super(Service.class);
        }

        @Override
        protected Service desired(CairnCluster c, Context<CairnCluster> context) {
            return new ServiceBuilder().withNewMetadata().withName(Names.headless(c)).withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Names.selector(c)).endMetadata()
                    .withNewSpec().withClusterIP("None").withPublishNotReadyAddresses(true).withSelector(Names.selector(c))
                    .addNewPort().withName("peer").withPort(8047).withTargetPort(new IntOrString(8047)).endPort()
                    .endSpec().build();
        }
    }

    /** Where clients (and sidecars) connect. */
    static final class ClientService extends CRUDKubernetesDependentResource<Service, CairnCluster> {
        ClientService() {
            super(Service.class);
        }

        @Override
        protected Service desired(CairnCluster c, Context<CairnCluster> context) {
            return new ServiceBuilder().withNewMetadata().withName(Names.client(c)).withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Names.selector(c)).endMetadata()
                    .withNewSpec().withSelector(Names.selector(c))
                    .addNewPort().withName("client").withPort(8046).withTargetPort(new IntOrString(8046)).endPort()
                    .addNewPort().withName("http").withPort(8048).withTargetPort(new IntOrString(8048)).endPort()
                    .endSpec().build();
        }
    }

    /** Where members find the member Secret. */
    static final String TLS_DIR = "/etc/cairn-tls";

    /** The members: stable identities, a volume each, ready when /readyz says so. */
    static final class Members extends CRUDKubernetesDependentResource<StatefulSet, CairnCluster> {
        Members() {
            super(StatefulSet.class);
        }

        @Override
        protected StatefulSet desired(CairnCluster c, Context<CairnCluster> context) {
            CairnClusterSpec s = c.getSpec();
            Map<String, String> labels = new HashMap<>(Names.selector(c));
            if (s.getPodLabels() != null) {
                labels.putAll(s.getPodLabels());
            }
            // Members of the first set start from the peer list; later ones join through the client
            // Service (as learners, promoted once caught up); a restarted member uses what it saved.
            boolean tls = ClusterTls.enabled(c);
            // With TLS, every port speaks it with the member Secret (renewals are read without a restart).
            String tlsFlags = !tls ? "" : " --tls-cert " + TLS_DIR + "/tls.crt --tls-key " + TLS_DIR + "/tls.key --tls-ca "
                    + TLS_DIR + "/ca.crt" + (s.getTls().requiresClientCerts() ? " --client-cert-auth" : "");
            // Members listen on every address and advertise their stable name (the pod IP changes
            // at every restart): the members list, the operator's status and `cairn members` show it.
            String stable = "$HOSTNAME." + Names.headless(c) + "." + c.getMetadata().getNamespace() + ".svc";
            String start = "ID=$((${HOSTNAME##*-} + 1)); COMMON=\"--id $ID --history $(cat /etc/cairn/history)"
                    + " --data-dir /var/lib/cairn --client-addr 0.0.0.0:8046 --http-addr 0.0.0.0:8048"
                    + " --advertise-client-addr " + stable + ":8046 --advertise-http-addr " + stable + ":8048" + tlsFlags
                    + ClusterAuth.memberFlags(c) + "\";"
                    + " if [ -f /var/lib/cairn/cluster.pb ]; then exec " + NODE_JAVA + " $COMMON;"
                    + " elif [ $ID -le $(cat /etc/cairn/initial) ]; then"
                    + " exec " + NODE_JAVA + " $COMMON --peers \"$(cat /etc/cairn/peers)\"" + ClusterBackup.restoreFlag(c) + ";"
                    + " else exec " + NODE_JAVA + " $COMMON --join $(cat /etc/cairn/join)"
                    + " --peer-addr " + stable + ":8047; fi";
            String scheme = tls ? "HTTPS" : "HTTP";
            StatefulSet sts = new StatefulSetBuilder().withNewMetadata().withName(c.getMetadata().getName())
                    .withNamespace(c.getMetadata().getNamespace()).withLabels(Names.selector(c)).endMetadata()
                    .withNewSpec().withServiceName(Names.headless(c)).withReplicas(Names.target(c))
                    .withPodManagementPolicy("Parallel")
                    .withNewUpdateStrategy().withType("OnDelete").endUpdateStrategy()
                    .withNewSelector().withMatchLabels(Names.selector(c)).endSelector()
                    .withNewTemplate().withNewMetadata().withLabels(labels).withAnnotations(s.getPodAnnotations()).endMetadata()
                    .withNewSpec().withNodeSelector(s.getNodeSelector())
                    .addNewContainer().withName("cairn").withImage(s.getImage())
                    .withCommand("sh", "-c", start)
                    .addNewPort().withName("client").withContainerPort(8046).endPort()
                    .addNewPort().withName("peer").withContainerPort(8047).endPort()
                    .addNewPort().withName("http").withContainerPort(8048).endPort()
                    .withResources(s.getResources())
                    // Timeouts above Kubernetes' 1 s default: on a busy node (the e2e suite's two
                    // cores under load) a healthy member answered late and liveness killed it.
                    .withNewReadinessProbe().withNewHttpGet().withPath("/readyz").withPort(new IntOrString(8048)).withScheme(scheme).endHttpGet()
                    .withPeriodSeconds(2).withTimeoutSeconds(3).endReadinessProbe()
                    .withNewLivenessProbe().withNewHttpGet().withPath("/healthz").withPort(new IntOrString(8048)).withScheme(scheme).endHttpGet()
                    .withPeriodSeconds(10).withTimeoutSeconds(5).withFailureThreshold(6).endLivenessProbe()
                    .addNewVolumeMount().withName("data").withMountPath("/var/lib/cairn").endVolumeMount()
                    .addNewVolumeMount().withName("config").withMountPath("/etc/cairn").endVolumeMount()
                    .endContainer()
                    .addNewVolume().withName("config").withNewConfigMap().withName(Names.config(c)).endConfigMap().endVolume()
                    .endSpec().endTemplate()
                    .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata()
                    .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName(s.getStorage().getStorageClassName())
                    .withNewResources().withRequests(Map.of("storage", new Quantity(s.getStorage().getSize()))).endResources()
                    .endSpec().endVolumeClaimTemplate()
                    .withNewPersistentVolumeClaimRetentionPolicy()
                    .withWhenDeleted(s.getStorage().isDeleteVolumesWithCluster() ? "Delete" : "Retain")
                    .withWhenScaled("Retain").endPersistentVolumeClaimRetentionPolicy()
                    .endSpec().build();
            ClusterBackup.mountRestore(c, sts.getSpec().getTemplate().getSpec());
            if (ClusterAuth.enabled(c)) {
                // The operator's token (members accept it; a joining member shows it) from NAME-auth.
                var pod = sts.getSpec().getTemplate().getSpec();
                mountSecret(pod, pod.getContainers().get(0), "auth", ClusterAuth.secret(c), ClusterAuth.DIR);
            }
            if (tls) {
                var pod = sts.getSpec().getTemplate().getSpec();
                mountSecret(pod, pod.getContainers().get(0), "tls", ClusterTls.memberSecret(c), TLS_DIR);
            }
            return sts;
        }
    }

    /** Mounts Secret {@code secret} read-only at {@code path} in {@code container} of {@code pod}, as volume {@code volume}. */
    static void mountSecret(io.fabric8.kubernetes.api.model.PodSpec pod, io.fabric8.kubernetes.api.model.Container container,
            String volume, String secret, String path) {
        container.getVolumeMounts().add(new VolumeMountBuilder().withName(volume).withMountPath(path).withReadOnly(true).build());
        pod.getVolumes().add(new VolumeBuilder().withName(volume).withNewSecret().withSecretName(secret).endSecret().build());
    }

    /** Voluntary disruptions never take away the quorum. */
    static final class Budget extends CRUDKubernetesDependentResource<PodDisruptionBudget, CairnCluster> {
        Budget() {
            super(PodDisruptionBudget.class);
        }

        @Override
        protected PodDisruptionBudget desired(CairnCluster c, Context<CairnCluster> context) {
            int maxUnavailable = (c.getSpec().getReplicas() - 1) / 2;
            return new PodDisruptionBudgetBuilder().withNewMetadata().withName(c.getMetadata().getName())
                    .withNamespace(c.getMetadata().getNamespace()).withLabels(Names.selector(c)).endMetadata()
                    .withNewSpec().withMaxUnavailable(new IntOrString(Math.max(0, maxUnavailable)))
                    .withNewSelector().withMatchLabels(Names.selector(c)).endSelector().endSpec().build();
        }
    }
}
