package io.cairn.node.replica;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** A member's Prometheus metrics, served at /metrics by the HTTP gateway. */
public final class NodeMetrics {
    final PrometheusRegistry registry = new PrometheusRegistry();
    final Gauge appliedSlot = Gauge.builder().name("cairn_applied_slot").help("Log slot applied to the store").register(registry);
    final Gauge revision = Gauge.builder().name("cairn_revision").help("Store revision").register(registry);
    final Gauge leader = Gauge.builder().name("cairn_leader").help("Member id of the leader (0: none known)").register(registry);
    final Gauge isLeader = Gauge.builder().name("cairn_is_leader").help("1 when this member leads").register(registry);
    final Gauge sessions = Gauge.builder().name("cairn_sessions").help("Open sessions").register(registry);
    final Counter writes = Counter.builder().name("cairn_writes_total").help("Client writes committed through this member")
            .labelNames("result").register(registry);
    final Counter walSyncs = Counter.builder().name("cairn_wal_syncs_total").help("fsyncs of the write-ahead log").register(registry);
    final Counter walRecords = Counter.builder().name("cairn_wal_records_total").help("Records written to the write-ahead log")
            .register(registry);
    final Counter snapshots = Counter.builder().name("cairn_snapshots_total").help("Snapshots taken or installed").register(registry);

    public String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }
}
