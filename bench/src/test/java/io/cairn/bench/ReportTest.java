package io.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ratios are taken round by round and summarised as median (min-max); a goal needs its worst round. */
class ReportTest {
    private static Measurement m(String system, String workload, int clients, int round, double ops, double p99) {
        return new Measurement(workload, clients, system, round, ops, p99 / 2, p99, p99 * 2, 100, 0);
    }

    @Test
    void ratiosAreMediansOfPerRoundRatiosAndGoalsNeedTheWorstRound(@TempDir Path dir) throws Exception {
        List<Measurement> rows = new ArrayList<>();
        // write x64: cairn 3000/2000/3000 against etcd 1000 each round and zookeeper 1000, 1500, 1000:
        // per-round ratios to the better other: 3.0, 1.33, 3.0 -> median 3.0, min 1.33: not met.
        double[] cairn = {3000, 2000, 3000};
        double[] zk = {1000, 1500, 1000};
        for (int r = 1; r <= 3; r++) {
            rows.add(m("cairn", "write", 64, r, cairn[r - 1], 5));
            rows.add(m("etcd", "write", 64, r, 1000, 10));
            rows.add(m("zookeeper", "write", 64, r, zk[r - 1], 4 + r)); // 5, 6, 7: cairn's p99 5 is at most theirs in every round
            rows.add(m("cairn", "read-linearizable", 64, r, 5000, 1));
            rows.add(m("etcd", "read-linearizable", 64, r, 1000, 2));
            rows.add(m("zookeeper", "read-linearizable", 64, r, 2000, 2));
        }
        Report report = new Report(rows, List.of("cairn", "etcd", "zookeeper"), Map.of(), Map.of("mode", "test"));
        List<Report.Goal> goals = report.goals();
        Report.Goal writes = goals.stream().filter(g -> g.label().equals("write x64") && g.measure().equals("throughput")).findFirst().orElseThrow();
        assertThat(writes.ratio().median()).isEqualTo(3.0);
        assertThat(writes.ratio().min()).isCloseTo(2000.0 / 1500, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(writes.ratio().max()).isEqualTo(3.0);
        assertThat(writes.met()).as("its worst round is 1.33x").isFalse();
        Report.Goal p99 = goals.stream().filter(g -> g.label().equals("write x64") && g.measure().equals("p99")).findFirst().orElseThrow();
        assertThat(p99.ratio().max()).isEqualTo(1.0);
        assertThat(p99.met()).isTrue();
        Report.Goal reads = goals.stream().filter(g -> g.label().equals("read-linearizable x64")).findFirst().orElseThrow();
        assertThat(reads.ratio().min()).isEqualTo(2.5);
        assertThat(reads.met()).isTrue();

        String md = report.markdown();
        assertThat(md).contains("| write x64 | 3,000 | 1,000 | 1,000 | 3.00× (2.00–3.00) | 3.00× (1.33–3.00) |")
                .contains("| writes at least 1.5x the better of etcd and zookeeper | write x64 | throughput >= 1.5 | 3.00× (1.33–3.00) | **no** |");
        report.write(dir, "r");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("r.json").toFile());
        assertThat(json.get("results")).hasSize(18);
        assertThat(json.at("/ratios/write x64/cairn~1zookeeper/throughput/min").asDouble()).isEqualTo(1.333);
        assertThat(json.at("/medians/write x64/zookeeper/opsPerSec").asDouble()).isEqualTo(1000.0);
        assertThat(json.get("goals").get(0).get("met").asBoolean()).isFalse();
    }

    @Test
    void theWatchStepsBreakdownIsKeptInTheJsonAndShownPerRound(@TempDir Path dir) throws Exception {
        Map<String, Double> parts = new java.util.LinkedHashMap<>();
        parts.put("writeAnsweredP50Ms", 2.5);
        parts.put("writeAnsweredMaxMs", 9.25);
        parts.put("firstToldP50Ms", 2.75);
        parts.put("firstToldMaxMs", 9.5);
        parts.put("spreadP50Ms", 0.125);
        parts.put("spreadMaxMs", 1.5);
        List<Measurement> rows = List.of(m("cairn", "watch-fanout", 10_000, 1, Double.NaN, 10).withParts(parts),
                m("zookeeper", "watch-fanout", 10_000, 1, Double.NaN, 12));
        Report report = new Report(rows, List.of("cairn", "zookeeper"), Map.of(), Map.of("mode", "test"));
        assertThat(report.markdown()).contains("## Watch delivery, broken down")
                .contains("| cairn | 1 | 10.00 | 2.50 / 9.25 | 2.75 / 9.50 | 0.13 / 1.50 |")
                .doesNotContain("| zookeeper | 1 | 12.00 |"); // a row without a breakdown (an older run's) is left out
        report.write(dir, "r");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("r.json").toFile());
        assertThat(json.at("/results/0/parts/spreadMaxMs").asDouble()).isEqualTo(1.5);
        assertThat(json.at("/results/1/parts").isMissingNode()).isTrue();
        // What a landed run's JSON holds comes back as it was written.
        List<Measurement> back = Report.rows(json);
        assertThat(back.get(0).parts()).isEqualTo(parts);
        assertThat(back.get(1).parts()).isEmpty();
    }

    @Test
    void eachTurnsMachineFiguresAreShownAndDoNotMakeAWatchBreakdown(@TempDir Path dir) throws Exception {
        Map<String, Double> machine = new java.util.LinkedHashMap<>();
        machine.put(MachineMeter.QUIET_WAIT, 450.0);
        machine.put(MachineMeter.BUSY_CORES, 1.625);
        machine.put(MachineMeter.STEAL_PCT, 12.5);
        machine.put(MachineMeter.IDLE_SYSTEMS_CORES, 0.25);
        // A run landed before the compilers were counted has no such figure: a dash.
        Map<String, Double> compiling = new java.util.LinkedHashMap<>(machine);
        compiling.put(MachineMeter.COMPILER_CORES, 0.125);
        compiling.put(MachineMeter.HARNESS_COMPILER_CORES, 0.5);
        List<Measurement> rows = List.of(m("cairn", "write", 1, 1, 1000, 2).withMoreParts(compiling),
                m("zookeeper", "write", 1, 1, 700, 3),
                m("zookeeper", "watch-fanout", 10_000, 1, Double.NaN, 12).withMoreParts(machine));
        Report report = new Report(rows, List.of("cairn", "zookeeper"), Map.of(), Map.of("mode", "test"));
        assertThat(report.markdown()).contains("## The machine during each turn")
                .contains("| write x1 | 1 | cairn | 1000 | 2.00 | 0.5 | 1.63 | 12.5 | 0.25 | 0.125 | 0.500 |")
                .contains("| watch-fanout x10000 | 1 | zookeeper | – | 12.00 | 0.5 | 1.63 | 12.5 | 0.25 | – | – |")
                .doesNotContain("| write x1 | 1 | zookeeper |") // no figures (an older run's row): no line
                // The machine's figures are parts too, but not a watch breakdown.
                .doesNotContain("## Watch delivery, broken down");
        report.write(dir, "r");
        List<Measurement> back = Report.rows(new ObjectMapper().readTree(dir.resolve("r.json").toFile()));
        assertThat(back.get(0).parts()).isEqualTo(compiling);
    }
}
