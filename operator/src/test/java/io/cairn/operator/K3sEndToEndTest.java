package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The whole flow against a real API server (k3s in a container): the CRD from crds/ installs,
 * its schema refuses an even replica count, and the operator builds a cluster's objects.
 * Runs only where a Docker engine is reachable; elsewhere it is skipped (the mock-server tests
 * cover the same behaviour).
 */
@Testcontainers(disabledWithoutDocker = true)
class K3sEndToEndTest {
    @Container
    static final K3sContainer K3S = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"));

    @Test
    void crdOperatorAndSchemaOnARealApiServer() throws Exception {
        try (KubernetesClient k8s = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(K3S.getKubeConfigYaml())).build()) {
            CustomResourceDefinition crd = k8s.apiextensions().v1().customResourceDefinitions()
                    .load(Files.newInputStream(Path.of("..", "crds", "cairnclusters.cairn.io-v1.yml"))).item();
            k8s.apiextensions().v1().customResourceDefinitions().resource(crd).create();
            k8s.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                    .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions().stream()
                            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60, java.util.concurrent.TimeUnit.SECONDS);
            Operator operator = new Operator(o -> o.withKubernetesClient(k8s).withCloseClientOnStop(false));
            operator.register(new CairnClusterReconciler(new ClusterProbe() {
                @Override
                public State probe(CairnCluster c) {
                    return null; // no cairn-node image here: the pods never answer
                }

                @Override
                public void removeMember(CairnCluster c, long id) {}
            }));
            operator.start();
            try {
                CairnCluster even = new CairnCluster();
                even.getMetadata().setName("even");
                even.getMetadata().setNamespace("default");
                CairnClusterSpec s = new CairnClusterSpec();
                s.setReplicas(4);
                s.setImage("ghcr.io/cairn/node:0.1.0");
                even.setSpec(s);
                String refused = null;
                try {
                    k8s.resource(even).create();
                } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                    refused = e.getMessage();
                }
                assertThat(refused).as("the schema refuses even replicas").contains("odd");

                CairnCluster ok = new CairnCluster();
                ok.getMetadata().setName("config");
                ok.getMetadata().setNamespace("default");
                CairnClusterSpec spec = new CairnClusterSpec();
                spec.setReplicas(3);
                spec.setImage("ghcr.io/cairn/node:0.1.0");
                ok.setSpec(spec);
                k8s.resource(ok).create();
                StatefulSet sts = k8s.apps().statefulSets().inNamespace("default").withName("config")
                        .waitUntilCondition(x -> x != null, 60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(sts.getSpec().getReplicas()).isEqualTo(3);
            } finally {
                operator.stop();
            }
        }
    }
}
