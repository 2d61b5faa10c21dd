package io.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every workload against real three-member clusters, small: the harness starts the servers,
 * drives them through their own clients, finds and kills the leader, and reports. etcd and
 * ZooKeeper runs need them installed (bench/install-peers.sh, which CI runs) and are skipped
 * with the reason otherwise. Speed is not asserted here; that is what the benchmark is for.
 */
class BenchHarnessTest {
    /** 100 ms of warm-up: the watch step's first two writes (50 ms apart) are delivered but not counted. */
    private static final Settings TINY = new Settings(Duration.ofMillis(100), Duration.ofSeconds(1), List.of(4), 4, 200, 4, 3,
            Duration.ofMillis(50), 2, 1, 256, 1);

    private static ServerGroup group(String system) throws Exception {
        return switch (system) {
            case "cairn" -> new CairnServers(List.of("-XX:+UseSerialGC", "-Xmx256m"), false);
            case "cairn-auth" -> new CairnServers(List.of("-XX:+UseSerialGC", "-Xmx256m"), true);
            case "etcd" -> {
                Path etcd = Path.of("/usr/bin/etcd");
                assumeTrue(Files.isExecutable(etcd), "etcd is not installed (bench/install-peers.sh installs it)");
                yield new EtcdServers(etcd.toString());
            }
            default -> {
                Path zk = Path.of("/usr/share/java/zookeeper.jar");
                assumeTrue(Files.exists(zk), "ZooKeeper is not installed (bench/install-peers.sh installs it)");
                yield new ZooKeeperServers(zk.toString());
            }
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"cairn", "cairn-auth", "etcd", "zookeeper"})
    void everyWorkloadRunsAndIsReported(String system, @TempDir Path out) throws Exception {
        List<Measurement> rows = new ArrayList<>();
        try (ServerGroup g = group(system)) {
            g.start();
            Workloads w = new Workloads(g, TINY);
            if (MachineMeter.available()) {
                // One slice of the full run's settling warm-up (writes at 16 and 1, reads): on
                // fresh JVMs the compilers are busy, and a slice that settled says it did.
                JitSettle first = JitSettle.run(MachineMeter.standard(), g.pids(), w, 0);
                assertThat(first.seconds()).isPositive();
                if (!system.equals("etcd")) {
                    assertThat(first.lastSliceCores()).as("compilers of a fresh " + system).isPositive();
                }
                assertThat(first.settled()).isEqualTo(first.lastSliceCores() < JitSettle.SETTLED_SHARE
                        * Runtime.getRuntime().availableProcessors());
                assertThat(first.describe()).startsWith(first.settled() ? "compilers settled after" : "compilers still at");
            }
            rows.add(w.writes(4));
            rows.add(w.reads(true));
            rows.add(w.reads(false));
            rows.add(w.watchFanout());
            rows.add(w.churn());
            rows.add(w.failover());
            // The killed leader was restarted: all three members run again.
            assertThat(g.members).allMatch(ServerGroup.Member::alive);
        }
        for (Measurement m : rows) {
            assertThat(m.count()).as(m.label()).isPositive();
            assertThat(m.p99Ms()).as(m.label()).isPositive();
        }
        // Every watcher heard every measured write (not the two of the warm-up); the failover trial found a new leader.
        assertThat(Workloads.warmEvents(TINY)).isEqualTo(2);
        assertThat(rows.get(3).count()).isEqualTo(200L * 3);
        assertThat(rows.get(3).errors()).isZero();
        // Where the watch step's time went: the write answered and its first watchers told some
        // time after it was sent, the first told on a connection no later than the slowest delivery.
        Map<String, Double> parts = rows.get(3).parts();
        assertThat(parts).containsOnlyKeys("writeAnsweredP50Ms", "writeAnsweredMaxMs", "firstToldP50Ms", "firstToldMaxMs",
                "spreadP50Ms", "spreadMaxMs");
        assertThat(parts.get("writeAnsweredP50Ms")).isPositive();
        assertThat(parts.get("firstToldP50Ms")).isPositive();
        assertThat(parts.get("firstToldMaxMs")).isLessThanOrEqualTo(rows.get(3).maxMs() * 1.01);
        assertThat(parts.get("spreadMaxMs")).isGreaterThanOrEqualTo(0);
        assertThat(rows.get(5).errors()).isZero();
        for (int i = 0; i < 5; i++) {
            assertThat(rows.get(i).errors()).as(rows.get(i).label()).isZero();
        }

        List<Measurement> named = rows.stream().map(m -> m.withSystem(system)).toList();
        new Report(named, List.of(system), Map.of(system, "test"), Map.of("mode", "test")).write(out, "r");
        assertThat(Files.readString(out.resolve("r.md"))).contains("| write x4 |").contains("failover x1");
        JsonNode json = new ObjectMapper().readTree(out.resolve("r.json").toFile());
        assertThat(json.get("results")).hasSize(6);
        assertThat(json.at("/results/3/parts/firstToldP50Ms").isNumber()).isTrue();
        assertThat(Files.size(out.resolve("r-throughput.png"))).isPositive();
        assertThat(Files.size(out.resolve("r-p99.png"))).isPositive();
    }
}
