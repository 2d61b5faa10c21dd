package io.cairn.bench;

/**
 * One figure set: a workload at one concurrency on one system, in one round. Throughput is NaN
 * where it has no meaning (watch delivery, failover); latencies are in milliseconds.
 */
record Measurement(String workload, int clients, String system, int round, double opsPerSec, double p50Ms, double p99Ms,
                   double maxMs, long count, long errors) {

    Measurement withSystem(String name) {
        return new Measurement(workload, clients, name, round, opsPerSec, p50Ms, p99Ms, maxMs, count, errors);
    }

    Measurement inRound(int r) {
        return new Measurement(workload, clients, system, r, opsPerSec, p50Ms, p99Ms, maxMs, count, errors);
    }

    /** The row's label in tables and charts, e.g. "write x64". */
    String label() {
        return workload + " x" + clients;
    }
}
