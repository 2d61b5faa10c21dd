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
