package io.cairn.sidecar;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** The sidecar's Prometheus metrics, and the JVM's and the process's (registered at the first scrape). */
final class SidecarMetrics {
    private static final double[] LATENCY = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    final PrometheusRegistry registry = new PrometheusRegistry();
    final Histogram changeToFile = Histogram.builder().name("cairn_sidecar_change_to_file_seconds")
            .help("From a change's proposal (the leader's clock) to the publication that includes it")
            .classicUpperBounds(LATENCY).classicOnly().register(registry);
    final Histogram publishSeconds = Histogram.builder().name("cairn_sidecar_publish_duration_seconds")
            .help("Reading the watched prefixes, rendering and publishing one revision").classicUpperBounds(LATENCY).classicOnly()
            .register(registry);
    final Gauge appliedRevision = Gauge.builder().name("cairn_sidecar_applied_revision")
            .help("Store revision of the files currently published").register(registry);
    final Gauge watchLag = Gauge.builder().name("cairn_sidecar_watch_lag_revisions")
            .help("Revisions seen on the watch but not yet published").register(registry);
    final Counter renders = Counter.builder().name("cairn_sidecar_renders_total")
            .help("Publications of new config files").register(registry);
    final Counter renderErrors = Counter.builder().name("cairn_sidecar_render_errors_total")
            .help("Keys, templates and env files that could not be rendered, and failed writes").register(registry);
    final Gauge problems = Gauge.builder().name("cairn_sidecar_render_problems")
            .help("Keys and outputs the last published revision left out or kept from before").register(registry);
    final Counter reloads = Counter.builder().name("cairn_sidecar_reload_actions_total")
            .help("On-change actions run, by result").labelNames("result").register(registry);
    final Counter storeErrors = Counter.builder().name("cairn_sidecar_store_errors_total")
            .help("Failed reads of the store (it will be retried)").register(registry);

    /** Only when scraped: a sidecar nobody scrapes does not spend its small heap on the JVM's collectors. */
    private static final class Jvm {
        static final PrometheusRegistry REGISTRY = new PrometheusRegistry();

        static {
            JvmMetrics.builder().register(REGISTRY);
        }
    }

    String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter text = new PrometheusTextFormatWriter(false);
        text.write(out, registry.scrape());
        text.write(out, Jvm.REGISTRY.scrape());
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
