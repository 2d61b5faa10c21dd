package io.cairn.bench;

import java.time.Duration;
import java.util.List;

/** How long and how wide each workload runs: the same for every system in one run. */
record Settings(Duration warmup, Duration measure, List<Integer> writeClients, int readClients, int watchers,
                int watchConnections, int watchEvents, Duration watchInterval, int churnClients,
                int failoverTrials, int valueBytes) {

    /** These settings with the given overrides (null: keep). */
    Settings with(Integer warmupSeconds, Integer measureSeconds, List<Integer> writes) {
        return new Settings(warmupSeconds == null ? warmup : Duration.ofSeconds(warmupSeconds),
                measureSeconds == null ? measure : Duration.ofSeconds(measureSeconds),
                writes == null ? writeClients : List.copyOf(writes), readClients, watchers, watchConnections,
                watchEvents, watchInterval, churnClients, failoverTrials, valueBytes);
    }

    static Settings full() {
        return new Settings(Duration.ofSeconds(5), Duration.ofSeconds(20), List.of(1, 16, 64, 256), 64,
                10_000, 20, 50, Duration.ofMillis(200), 16, 3, 256);
    }

    /** About a minute a system, so three systems fit in about three minutes. */
    static Settings quick() {
        return new Settings(Duration.ofSeconds(1), Duration.ofSeconds(3), List.of(1, 64), 64,
                10_000, 20, 10, Duration.ofMillis(200), 16, 1, 256);
    }
}
