package io.cairn.bench;

import java.time.Duration;
import java.util.List;

/** How long and how wide each workload runs: the same for every system in one run. */
record Settings(Duration warmup, Duration measure, List<Integer> writeClients, int readClients, int watchers,
                int watchConnections, int watchEvents, Duration watchInterval, int churnClients,
                int failoverTrials, int valueBytes, int rounds) {

    /** These settings with the given overrides (null: keep). */
    Settings with(Integer warmupSeconds, Integer measureSeconds, List<Integer> writes, Integer roundCount) {
        return new Settings(warmupSeconds == null ? warmup : Duration.ofSeconds(warmupSeconds),
                measureSeconds == null ? measure : Duration.ofSeconds(measureSeconds),
                writes == null ? writeClients : List.copyOf(writes), readClients, watchers, watchConnections,
                watchEvents, watchInterval, churnClients, failoverTrials, valueBytes, roundCount == null ? rounds : roundCount);
    }

    /** These settings with {@code n} watch connections. */
    Settings withWatchConnections(int n) {
        return new Settings(warmup, measure, writeClients, readClients, watchers, n, watchEvents, watchInterval, churnClients,
                failoverTrials, valueBytes, rounds);
    }

    /**
     * Rounds of short windows rather than one long one: each step alternates the systems round by
     * round on clusters kept warm, so the machine's drift over the run reaches them all alike.
     */
    static Settings full() {
        return new Settings(Duration.ofSeconds(2), Duration.ofSeconds(8), List.of(1, 16, 64, 256), 64,
                10_000, 20, 30, Duration.ofMillis(200), 16, 3, 256, 4);
    }

    /** Three rounds of short windows of the main steps: under four minutes for three systems. */
    static Settings quick() {
        return new Settings(Duration.ofSeconds(1), Duration.ofSeconds(2), List.of(1, 64), 64,
                10_000, 20, 10, Duration.ofMillis(200), 16, 1, 256, 3);
    }
}
