package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.testing.TestNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operator against fabric8's Kubernetes mock server in CRUD mode, with a real in-process
 * Cairn member standing in for the pods behind the probe seam.
 */
class CairnClusterReconcilerTest {
    static final String NS = "shop";
    OperatorHarness harness;
    KubernetesClient k8s;
    TestNode cairn;

    @BeforeEach
    void start() {
        cairn = TestNode.start();
        ClusterProbe probe = new ClusterProbe() {
            @Override
            public State probe(CairnCluster c) {
                try (CairnClient client = CairnClient.connect(cairn.endpoint())) {
                    return new ClusterProbe.State(client.members(), client.rev().rev());
                }
            }

            @Override
            public void removeMember(CairnCluster c, long id) {
                throw new UnsupportedOperationException("a cluster of one is never shrunk here");
            }
        };
        harness = new OperatorHarness(probe);
        k8s = harness.k8s;
    }

    @AfterEach
    void stop() {
        harness.close();
        cairn.close();
    }

    static <T> T await(String what, Supplier<T> get) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            T v = get.get();
            if (v != null) {
                return v;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("never: " + what);
    }

    private CairnCluster cluster(int replicas) {
        return OperatorHarness.cluster(NS, replicas, "ghcr.io/cairn/node:0.1.0");
    }

    @Test
    void createsTheClusterObjectsAndReportsStatus() throws Exception {
        k8s.resource(cluster(3)).create();
        StatefulSet sts = await("statefulset", () -> k8s.apps().statefulSets().inNamespace(NS).withName("config").get());
        assertThat(sts.getSpec().getReplicas()).isEqualTo(3);
        assertThat(sts.getSpec().getServiceName()).isEqualTo("config-peers");
        assertThat(sts.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("ghcr.io/cairn/node:0.1.0");
        assertThat(sts.getSpec().getTemplate().getSpec().getContainers().get(0).getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(sts.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenDeleted()).isEqualTo("Retain");
        ConfigMap cm = await("configmap", () -> k8s.configMaps().inNamespace(NS).withName("config-config").get());
        assertThat(cm.getData().get("peers")).isEqualTo("1=config-0.config-peers.shop.svc:8047,2=config-1.config-peers.shop.svc:8047,"
                + "3=config-2.config-peers.shop.svc:8047");
        Service peers = await("headless service", () -> k8s.services().inNamespace(NS).withName("config-peers").get());
        assertThat(peers.getSpec().getClusterIP()).isEqualTo("None");
        Service client = await("client service", () -> k8s.services().inNamespace(NS).withName("config-client").get());
        assertThat(client.getSpec().getPorts()).extracting(p -> p.getPort()).containsExactly(8046, 8048);
        PodDisruptionBudget pdb = await("pdb", () -> k8s.policy().v1().podDisruptionBudget().inNamespace(NS).withName("config").get());
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);

        CairnCluster withStatus = await("status from the cluster", () -> {
            CairnCluster c = k8s.resources(CairnCluster.class).inNamespace(NS).withName("config").get();
            return c != null && c.getStatus() != null && c.getStatus().getLeader() != null ? c : null;
        });
        CairnClusterStatus st = withStatus.getStatus();
        assertThat(st.getLeader()).isEqualTo(1L);
        assertThat(st.getRevision()).isPositive();
        assertThat(st.getMembers()).hasSize(1);
        assertThat(st.getObservedGeneration()).isEqualTo(withStatus.getMetadata().getGeneration());
        assertThat(st.getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("Available");
            assertThat(c.getStatus()).isEqualTo("True");
        });
        // One member of three answers: still converging.
        assertThat(st.getPhase()).isEqualTo("Scaling");
        assertThat(st.getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("Progressing");
            assertThat(c.getStatus()).isEqualTo("True");
        });
    }

    @Test
    void anInvalidSpecIsDegradedAndTouchesNothing() throws Exception {
        k8s.resource(cluster(4)).create();
        CairnCluster c = await("degraded", () -> {
            CairnCluster x = k8s.resources(CairnCluster.class).inNamespace(NS).withName("config").get();
            return x != null && x.getStatus() != null && "Invalid".equals(x.getStatus().getPhase()) ? x : null;
        });
        assertThat(c.getStatus().getConditions()).anySatisfy(cond -> {
            assertThat(cond.getType()).isEqualTo("Degraded");
            assertThat(cond.getStatus()).isEqualTo("True");
            assertThat(cond.getMessage()).contains("odd");
        });
        var event = await("an event", () -> k8s.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "InvalidSpec".equals(e.getReason())).findFirst().orElse(null));
        assertThat(event.getType()).isEqualTo("Warning");
        assertThat(event.getInvolvedObject().getName()).isEqualTo("config");
        assertThat(event.getMessage()).contains("odd");
        assertThat(k8s.apps().statefulSets().inNamespace(NS).withName("config").get()).as("nothing is built for an invalid spec").isNull();
    }
}
