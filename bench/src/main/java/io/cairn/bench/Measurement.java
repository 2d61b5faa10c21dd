package io.cairn.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One figure set: a workload at one concurrency on one system, in one round. Throughput is NaN
 * where it has no meaning (watch delivery, failover); latencies are in milliseconds.
 */
record Measurement(String workload, int clients, String system, int round, double opsPerSec, double p50Ms, double p99Ms,
                   double maxMs, long count, long errors, Map<String, Double> parts) {

    /** {@code parts}: what a step measured besides its figures, by name, in order (the watch step's breakdown). */
    Measurement {
        parts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parts));
    }

    Measurement(String workload, int clients, String system, int round, double opsPerSec, double p50Ms, double p99Ms,
                double maxMs, long count, long errors) {
        this(workload, clients, system, round, opsPerSec, p50Ms, p99Ms, maxMs, count, errors, Map.of());
    }

    Measurement withSystem(String name) {
        return new Measurement(workload, clients, name, round, opsPerSec, p50Ms, p99Ms, maxMs, count, errors, parts);
    }

    Measurement inRound(int r) {
        return new Measurement(workload, clients, system, r, opsPerSec, p50Ms, p99Ms, maxMs, count, errors, parts);
    }

    Measurement withParts(Map<String, Double> p) {
        return new Measurement(workload, clients, system, round, opsPerSec, p50Ms, p99Ms, maxMs, count, errors, p);
    }

    /** These parts added to the row's own (the machine's figures over its turn). */
    Measurement withMoreParts(Map<String, Double> more) {
        Map<String, Double> p = new LinkedHashMap<>(parts);
        p.putAll(more);
        return withParts(p);
    }

    /** The row's label in tables and charts, e.g. "write x64". */
    String label() {
        return workload + " x" + clients;
    }
}
