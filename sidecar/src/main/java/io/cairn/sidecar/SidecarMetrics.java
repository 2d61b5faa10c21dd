package io.cairn.sidecar;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** The sidecar's Prometheus metrics. */
final class SidecarMetrics {
    final PrometheusRegistry registry = new PrometheusRegistry();
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

    String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
