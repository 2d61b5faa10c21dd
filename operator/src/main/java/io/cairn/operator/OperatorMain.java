package io.cairn.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator process: reconciles CairnClusters and serves the injection webhook. Configured by
 * environment, as the Helm chart sets it: WATCH_NAMESPACE (empty: all), CAIRN_SIDECAR_IMAGE,
 * CAIRN_WEBHOOK_PORT (default 8443). The webhook's certificate: files in CAIRN_WEBHOOK_CERT_DIR
 * (tls.crt, tls.key) when there are any (cert-manager, say); otherwise the operator makes and
 * renews its own, kept in the Secret CAIRN_WEBHOOK_SECRET in POD_NAMESPACE, for the Service
 * CAIRN_WEBHOOK_SERVICE, trusted through the MutatingWebhookConfiguration CAIRN_WEBHOOK_CONFIG.
 */
public final class OperatorMain {
    private static final Logger log = LoggerFactory.getLogger(OperatorMain.class);

    private OperatorMain() {}

    private static String required(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            System.err.println("cairn-operator: " + name + " is not set: the operator needs it to make the webhook's"
                    + " certificate (or mount one in CAIRN_WEBHOOK_CERT_DIR)");
            System.exit(2);
        }
        return v;
    }

    /** CAIRN_WEBHOOK_PORT as a port, or a one-line error and exit 2. */
    static int port(String variable, String value) {
        try {
            int p = Integer.parseInt(value.trim());
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        System.err.println("cairn-operator: " + variable + " must be a port number (0..65535), got \"" + value + "\"");
        System.exit(2);
        return -1;
    }

    /** The audience of CairnCluster {@code ns/name} when it enforces its policy; null when it does not, or cannot be read. */
    static String clusterAudience(KubernetesClient k8s, String name, String ns) {
        try {
            CairnCluster c = k8s.resources(CairnCluster.class).inNamespace(ns).withName(name).get();
            return c == null || !ClusterAuth.enabled(c) ? null : c.getSpec().getAuth().audienceOrDefault();
        } catch (RuntimeException e) {
            log.warn("cannot read CairnCluster {}/{} to learn its policy ({}); the sidecar gets no token", ns, name, e.getMessage());
            return null;
        }
    }

    /** Whether this cluster has native sidecars (what cairn.io/native-sidecar: auto follows), from the API server's version. */
    private static boolean nativeSidecars(KubernetesClient k8s) {
        try {
            var v = k8s.getKubernetesVersion();
            boolean yes = SidecarInjector.hasNativeSidecars(v.getMajor(), v.getMinor());
            log.info("Kubernetes {}.{}: the sidecar is injected as {} unless a pod's cairn.io/native-sidecar says otherwise",
                    v.getMajor(), v.getMinor(), yes ? "a native sidecar (an init container with restartPolicy Always)" : "a container");
            return yes;
        } catch (RuntimeException e) {
            log.warn("cannot read the Kubernetes version ({}); the sidecar is injected as a container unless a pod asks for"
                    + " cairn.io/native-sidecar: true", e.getMessage());
            return false;
        }
    }

    public static void main(String[] args) throws Exception {
        io.cairn.net.LogFormat.checkOrExit("cairn-operator");
        io.cairn.net.DnsCache.keepAnswersBriefly();
        String image = System.getenv().getOrDefault("CAIRN_SIDECAR_IMAGE", "ghcr.io/cairn/cairn-sidecar:0.1.0");
        int port = port("CAIRN_WEBHOOK_PORT", System.getenv().getOrDefault("CAIRN_WEBHOOK_PORT", "8443"));
        String certDir = System.getenv().getOrDefault("CAIRN_WEBHOOK_CERT_DIR", "/etc/cairn-webhook");
        String namespace = System.getenv().getOrDefault("WATCH_NAMESPACE", "");
        KubernetesClient k8s = new KubernetesClientBuilder().build();
        boolean nativeSidecars = nativeSidecars(k8s);
        SidecarInjector injector = new SidecarInjector(image, (name, ns) -> clusterAudience(k8s, name, ns), nativeSidecars);
        OperatorMetrics metrics = new OperatorMetrics();
        injector.onReview(result -> metrics.webhookReviews.labelValues(result).inc());
        int metricsPort = port("CAIRN_METRICS_PORT", System.getenv().getOrDefault("CAIRN_METRICS_PORT", "8080"));
        com.sun.net.httpserver.HttpServer metricsServer;
        try {
            metricsServer = metrics.serve(new InetSocketAddress(metricsPort));
        } catch (java.io.IOException e) {
            System.err.println("cairn-operator: " + e.getMessage());
            System.exit(1);
            return;
        }
        WebhookServer webhook;
        WebhookCertManager certs = null;
        try {
            if (Files.exists(Path.of(certDir, "tls.crt"))) {
                webhook = new WebhookServer(new InetSocketAddress(port), Path.of(certDir), injector);
                log.info("webhook serves the certificate in {}", certDir);
            } else {
                String podNamespace = required("POD_NAMESPACE");
                ReloadingKeyManager keys = new ReloadingKeyManager();
                certs = new WebhookCertManager(k8s, podNamespace, required("CAIRN_WEBHOOK_SECRET"),
                        required("CAIRN_WEBHOOK_SERVICE"), required("CAIRN_WEBHOOK_CONFIG"), keys, Clock.systemUTC());
                certs.start();
                webhook = new WebhookServer(new InetSocketAddress(port), keys, injector);
            }
        } catch (java.io.IOException e) {
            System.err.println("cairn-operator: " + e.getMessage());
            System.exit(1);
            return;
        }
        WebhookCertManager certManager = certs;
        Operator operator = new Operator(o -> o.withKubernetesClient(k8s));
        operator.register(new CairnClusterReconciler(ClusterProbe.viaClientService(k8s), metrics), o -> {
            if (!namespace.isBlank()) {
                o.settingNamespaces(Set.of(namespace));
            }
        });
        operator.start();
        log.info("cairn operator started (namespace: {}, webhook on :{}, metrics on :{}, sidecar image {})",
                namespace.isBlank() ? "all" : namespace, port, metricsPort, image);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            operator.stop();
            if (certManager != null) {
                certManager.close();
            }
            webhook.close();
            metricsServer.stop(0);
        }, "cairn-operator-exit"));
    }
}
