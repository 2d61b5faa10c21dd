package io.cairn.operator;

import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;

/**
 * The operator's Prometheus metrics: how long reconciles take and how they end (by phase, and
 * failures by reason), the webhook's answers, and the JVM's. {@link #serve} puts them on a plain
 * HTTP port at /metrics (the webhook's own port speaks TLS with a certificate only the API server
 * trusts).
 */
final class OperatorMetrics {
    private static final double[] SECONDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    final PrometheusRegistry registry = new PrometheusRegistry();
    final Histogram reconcileSeconds = Histogram.builder().name("cairn_operator_reconcile_duration_seconds")
            .help("One reconcile of a CairnCluster, by the phase it left the cluster in").labelNames("phase")
            .classicUpperBounds(SECONDS).classicOnly().register(registry);
    final Counter reconcileErrors = Counter.builder().name("cairn_operator_reconcile_errors_total")
            .help("Reconciles that failed or found the cluster degraded, by reason").labelNames("reason").register(registry);
    final Counter webhookReviews = Counter.builder().name("cairn_operator_webhook_reviews_total")
            .help("Pods the injection webhook answered, by result (injected, unchanged, refused)").labelNames("result").register(registry);

    OperatorMetrics() {
        JvmMetrics.builder().register(registry);
    }

    String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Serves /metrics on {@code addr}; the server to stop. */
    HttpServer serve(InetSocketAddress addr) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(addr, 16);
        } catch (IOException e) {
            throw new IOException("cannot listen on port " + addr.getPort() + " (CAIRN_METRICS_PORT): " + e.getMessage(), e);
        }
        server.createContext("/metrics", ex -> {
            byte[] body = scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
        return server;
    }
}
