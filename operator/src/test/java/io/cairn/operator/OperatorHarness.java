package io.cairn.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import java.util.HashMap;

/** The operator running against fabric8's mock API server in CRUD mode, for tests. */
final class OperatorHarness implements AutoCloseable {
    final KubernetesMockServer server;
    final KubernetesClient k8s;
    final Operator operator;

    OperatorHarness(ClusterProbe probe) {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        k8s = server.createClient();
        // The mock server does not speak server-side apply; a real API server does, and the operator main uses it.
        operator = new Operator(o -> o.withKubernetesClient(k8s).withCloseClientOnStop(false)
                .withSSABasedCreateUpdateMatchForDependentResources(false).withUseSSAToPatchPrimaryResource(false));
        operator.register(new CairnClusterReconciler(probe));
        operator.start();
    }

    static CairnCluster cluster(String namespace, int replicas, String image) {
        CairnCluster c = new CairnCluster();
        c.getMetadata().setName("config");
        c.getMetadata().setNamespace(namespace);
        CairnClusterSpec spec = new CairnClusterSpec();
        spec.setReplicas(replicas);
        spec.setImage(image);
        c.setSpec(spec);
        return c;
    }

    @Override
    public void close() {
        operator.stop();
        k8s.close();
        try {
            server.destroy();
        } catch (IllegalStateException slow) {
            // The mock server's own shutdown gave up waiting for a connection to end (seen in CI
            // under load); the test's checks were already made, and its port is released anyway.
            System.err.println("mock API server: " + slow.getMessage());
        }
    }
}
