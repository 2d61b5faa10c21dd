package io.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The floor's report says when its writes were spaced out; a gap without --floor, or out of range, is refused. */
class WriteFloorTest {
    static Map<String, Object> result(long gapMs) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("fdatasync4KiB", new WriteFloor.Figures(0.231, 0.219, 0.97).json());
        r.put("loopbackRoundTrip", new WriteFloor.Figures(0.007, 0.005, 0.02).json());
        r.put("floorMs", 0.245);
        r.put("writes", 149L);
        r.put("gapMs", gapMs);
        r.put("clientObserved", new WriteFloor.Figures(1.88, 1.723, 4.915).json());
        Map<String, Object> parts = new LinkedHashMap<>();
        for (String k : new String[] {"clientAndNetworkMs", "leaderRequestMs", "leaderOutsideCommitMs", "proposalToCommitAndApplyMs",
            "leaderWalSyncMs", "fastestFollowerWalSyncMs", "replicationBeyondFollowerSyncMs"}) {
            parts.put(k, 0.1);
        }
        r.put("parts", parts);
        r.put("meanOverFloor", 7.67);
        r.put("p99OverFloor", 20.06);
        return r;
    }

    @Test
    void theReportSaysHowFarApartTheWritesWere() {
        assertThat(WriteFloor.markdown(result(200))).contains("- 149 writes, one client on the leader, one every 200 ms: mean 1.880 ms");
        assertThat(WriteFloor.markdown(result(0))).contains("- 149 writes, one client on the leader: mean 1.880 ms");
    }

    @Test
    void theReportSaysHowLongTheWarmUpWasAndWhatTheCompilersDidInTheWindow() {
        Map<String, Object> r = result(0);
        r.put("warmUp", new WriteFloor.Warmed(30.8, true, 0.48, null).withDuringWindow(new double[] {0.512, 0.251, 0.184, 0.16})
                .json());
        assertThat(WriteFloor.markdown(r)).contains("- warm-up: 30.8 s of writes, until the members' and the client's JIT compilers"
                + " ran for under 5% of the cores over 5 s (480 ms); during the window the compilers ran [512, 251, 184, 160] ms");
        r.put("warmUp", new WriteFloor.Warmed(90.1, false, 0.809, null).withDuringWindow(new double[] {0.2, 0.1, 0.1, 0.3}).json());
        assertThat(WriteFloor.markdown(r)).contains("- warm-up: 90.1 s of writes, the JIT still compiling at its end (809 ms in the"
                + " last 5 s)");
        // A landed result from before the warm-up was recorded has no such line.
        assertThat(WriteFloor.markdown(result(0))).doesNotContain("warm-up");
    }

    @Test
    void theWarmUpGoesOnUntilTheCompilersSettle() throws Exception {
        // Compile times as the slices end: 1 s, then 0.2 s, then 0.01 s of compiling in a slice.
        double[][] times = {{0, 0}, {0.5, 0.5}, {0.6, 0.6}, {0.605, 0.605}, {5, 5}};
        int[] asked = {0};
        int[] writes = {0};
        WriteFloor.Warmed w = WriteFloor.warmUp(0, 1_000_000, 60_000_000_000L, 0.05, () -> writes[0]++,
                () -> times[asked[0]++]);
        assertThat(w.settled()).isTrue();
        assertThat(w.lastSliceCompileSeconds()).isCloseTo(0.01, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(asked[0]).isEqualTo(4);
        assertThat(writes[0]).isGreaterThanOrEqualTo(4);
    }

    @Test
    void theWarmUpStopsAtItsLongestUnsettled() throws Exception {
        int[] asked = {0};
        WriteFloor.Warmed w = WriteFloor.warmUp(0, 1_000_000, 20_000_000L, 0.05, () -> { },
                () -> new double[] {asked[0]++});
        assertThat(w.settled()).isFalse();
        assertThat(w.lastSliceCompileSeconds()).isEqualTo(1.0);
        assertThat(w.seconds()).isGreaterThanOrEqualTo(0.02);
    }

    @Test
    void aGapNeedsTheFloorAndASaneLength() {
        for (String[] args : new String[][] {{"--floor-gap", "200"}, {"--floor", "--floor-gap", "-1"}, {"--floor", "--floor-gap", "10001"}}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream was = System.err;
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code;
            try {
                code = new CommandLine(new BenchMain()).execute(args);
            } finally {
                System.setErr(was);
            }
            assertThat(code).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("--floor-gap takes 0..10000 ms and goes with --floor");
        }
    }
}
