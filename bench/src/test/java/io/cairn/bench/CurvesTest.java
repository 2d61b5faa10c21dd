package io.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The size curves, small, on real Cairn clusters: points, JSON, tables and plots are made; no speed is asserted. */
class CurvesTest {
    private static final Settings TINY = new Settings(Duration.ZERO, Duration.ofSeconds(1), List.of(4), 4, 200, 4, 3,
            Duration.ofMillis(50), 2, 1, 256, 1);

    private static Curves.Groups groups() {
        return system -> {
            ServerGroup g = system.startsWith("cairn-history-")
                    ? new CairnServers(List.of("-XX:+UseSerialGC", "-Xmx256m"), false,
                            List.of("--history", system.substring("cairn-history-".length())))
                    : new CairnServers(List.of("-XX:+UseSerialGC", "-Xmx256m"), false);
            g.start();
            return g;
        };
    }

    @Test
    void watchAndHistoryCurvesAreMeasuredAndWritten(@TempDir Path out) throws Exception {
        Curves c = new Curves(out, TINY);
        List<Curves.Point> watches = c.watches(List.of("cairn"), List.of(100, 300), groups());
        assertThat(watches).extracting(Curves.Point::size).containsExactly(100L, 300L);
        assertThat(watches).allMatch(p -> p.errors() == 0 && p.p99Ms() > 0);
        List<Curves.Point> history = c.history(List.of(2_000), groups());
        assertThat(history.get(0).errors()).as("every read at a revision in the window answered").isZero();
        for (String name : List.of("curves-watches", "curves-history")) {
            JsonNode json = new ObjectMapper().readTree(out.resolve(name + ".json").toFile());
            assertThat(json.get("points")).isNotEmpty();
            assertThat(Files.readString(out.resolve(name + ".md"))).contains("| cairn |");
            assertThat(Files.size(out.resolve(name + "-memory.png"))).isPositive();
            assertThat(Files.size(out.resolve(name + "-latency.png"))).isPositive();
        }
    }

    /**
     * The data-set curve end to end on a small Cairn cluster: the load, a follower's restart, an
     * empty member's catch-up and a snapshot are all measured, and the table and plots written.
     */
    @Test
    void dataSetCurveMeasuresLoadRestartCatchUpAndSnapshot(@TempDir Path out) throws Exception {
        List<DataSetCurve.Point> points = new DataSetCurve(out).run(List.of("cairn-big"), List.of(300), groups());
        assertThat(points).hasSize(1);
        DataSetCurve.Point p = points.get(0);
        assertThat(p.error()).isNull();
        assertThat(p.system()).isEqualTo("cairn");
        assertThat(p.loadPerSec()).isPositive();
        assertThat(p.restartMs()).isPositive();
        assertThat(p.catchUpMs()).isPositive();
        assertThat(p.snapshotBytes()).as("300 values of 1 KiB").isGreaterThan(300 * 1024);
        assertThat(Files.readString(out.resolve("curves-data.md"))).contains("| cairn | 300 |");
        assertThat(Files.size(out.resolve("curves-data-catchup.png"))).isPositive();
    }
}
