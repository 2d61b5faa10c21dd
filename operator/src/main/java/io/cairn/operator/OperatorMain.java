package io.cairn.operator;

import io.javaoperatorsdk.operator.Operator;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator process: reconciles CairnClusters and serves the injection webhook. Configured by
 * environment, as the Helm chart sets it: WATCH_NAMESPACE (empty: all), CAIRN_SIDECAR_IMAGE,
 * CAIRN_WEBHOOK_PORT (default 8443), CAIRN_WEBHOOK_CERT_DIR (tls.crt, tls.key).
 */
public final class OperatorMain {
    private static final Logger log = LoggerFactory.getLogger(OperatorMain.class);

    private OperatorMain() {}

    public static void main(String[] args) throws Exception {
        String image = System.getenv().getOrDefault("CAIRN_SIDECAR_IMAGE", "ghcr.io/cairn/cairn-sidecar:0.1.0");
        int port = Integer.parseInt(System.getenv().getOrDefault("CAIRN_WEBHOOK_PORT", "8443"));
        String certDir = System.getenv().getOrDefault("CAIRN_WEBHOOK_CERT_DIR", "/etc/cairn-webhook");
        String namespace = System.getenv().getOrDefault("WATCH_NAMESPACE", "");
        WebhookServer webhook = new WebhookServer(new InetSocketAddress(port), Path.of(certDir), new SidecarInjector(image));
        Operator operator = new Operator();
        operator.register(new CairnClusterReconciler(ClusterProbe.viaClientService()), o -> {
            if (!namespace.isBlank()) {
                o.settingNamespaces(Set.of(namespace));
            }
        });
        operator.start();
        log.info("cairn operator started (namespace: {}, webhook on :{}, sidecar image {})",
                namespace.isBlank() ? "all" : namespace, port, image);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            operator.stop();
            webhook.close();
        }, "cairn-operator-exit"));
    }
}
