package io.cairn.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import java.util.HashMap;
import java.util.function.UnaryOperator;

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

    /**
     * Changes a cluster's resource as client-go's RetryOnConflict does. {@code edit} reads the
     * resource and sends the change with the version it read; the operator writes the status
     * meanwhile, and a change made from an older read is refused (409, "the object has been
     * modified"; CI on 2026-12-07 in ReconcilerBackupTest). Read again and tried again, a few times.
     */
    static void editCluster(KubernetesClient k8s, String namespace, String name, UnaryOperator<CairnCluster> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                k8s.resources(CairnCluster.class).inNamespace(namespace).withName(name).edit(change);
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
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
