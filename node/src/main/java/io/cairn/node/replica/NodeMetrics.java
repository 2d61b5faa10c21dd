package io.cairn.node.replica;

import io.cairn.node.server.RequestObserver;
import io.cairn.proto.Msg.Request.Verb;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A member's Prometheus metrics, served at /metrics by the HTTP gateway: its position (slot,
 * revision, leader), what it did (writes, WAL records and syncs, snapshots), how long things took
 * (histograms in seconds: requests by verb, a write from proposal to commit, a WAL sync, a
 * snapshot, a watch's delivery), what it holds (connections, watches, sessions, ephemeral files,
 * the history window) and the JVM's and the process's own (memory, GC, threads, CPU, files).
 */
public final class NodeMetrics implements RequestObserver {
    /** Bucket bounds (seconds) from 100 µs to 10 s: a loopback write takes about a millisecond. */
    private static final double[] LATENCY = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
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
    final Histogram requestSeconds = Histogram.builder().name("cairn_request_duration_seconds")
            .help("Client requests from arrival to answer, by verb (watches and waits not counted)").labelNames("verb")
            .classicUpperBounds(LATENCY).classicOnly().register(registry);
    final Histogram commitSeconds = Histogram.builder().name("cairn_commit_duration_seconds")
            .help("A write taken by this member, from its proposal to its commit and apply").classicUpperBounds(LATENCY).classicOnly()
            .register(registry);
    final Histogram walSyncSeconds = Histogram.builder().name("cairn_wal_sync_duration_seconds")
            .help("Writing and fsyncing one batch of write-ahead log records").classicUpperBounds(LATENCY).classicOnly().register(registry);
    final Histogram snapshotSeconds = Histogram.builder().name("cairn_snapshot_duration_seconds")
            .help("Taking a snapshot: capturing the state, encoding and writing it").classicUpperBounds(LATENCY).classicOnly()
            .register(registry);
    final Histogram watchDeliverySeconds = Histogram.builder().name("cairn_watch_delivery_seconds")
            .help("From a revision's proposal (the leader's clock) to its events being handed to this member's watchers")
            .classicUpperBounds(LATENCY).classicOnly().register(registry);
    final Gauge commitLag = Gauge.builder().name("cairn_apply_lag_slots").help("Slots committed but not yet applied").register(registry);
    final Gauge watches = Gauge.builder().name("cairn_watches").help("Watches (and waits) open on this member").register(registry);
    final Gauge ephemeralFiles = Gauge.builder().name("cairn_ephemeral_files").help("Files bound to a session").register(registry);
    final Gauge historyWindow = Gauge.builder().name("cairn_history_revisions")
            .help("Revisions readable in the past (the revision minus the oldest kept)").register(registry);
    final Gauge connections = Gauge.builder().name("cairn_client_connections").help("Open client connections").register(registry);

    /**
     * The JVM's metrics, once per process: every member in one JVM (a test's cluster, the
     * simulator's thousands) would otherwise register its own, and the client library keeps every
     * registry it registered them with.
     */
    private static final class Jvm {
        static final PrometheusRegistry REGISTRY = new PrometheusRegistry();

        static {
            JvmMetrics.builder().register(REGISTRY);
        }
    }

    @Override
    public void answered(Verb verb, long nanos) {
        requestSeconds.labelValues(verb.name()).observe(nanos / 1e9);
    }

    @Override
    public void connections(int delta) {
        connections.inc(delta);
    }

    public String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter text = new PrometheusTextFormatWriter(false);
        text.write(out, registry.scrape());
        text.write(out, Jvm.REGISTRY.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }
}
