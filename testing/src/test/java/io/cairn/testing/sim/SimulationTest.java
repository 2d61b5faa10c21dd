package io.cairn.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The deterministic simulation in the build: every seed must hold every invariant. A seed that
 * once failed stays in {@link #regressionSeeds} for good.
 */
class SimulationTest {
    private static List<String> failures(long start, long count, int nodes) {
        List<String> failed = new ArrayList<>();
        for (long s = start; s < start + count; s++) {
            Simulation.Outcome o = Simulation.run(Simulation.Options.of(s, nodes));
            if (!o.ok()) {
                failed.add("seed " + s + " (replay: bin/cairn-sim --seeds 1 --start " + s + " --nodes " + nodes + "): "
                        + String.join("; ", o.violations()));
            }
        }
        return failed;
    }

    @Test
    void threeThousandSeedsOfThreeReplicas() {
        assertThat(failures(1, 3000, 3)).isEmpty();
    }

    @Test
    void fiveHundredSeedsOfFiveReplicas() {
        assertThat(failures(100_000, 500, 5)).isEmpty();
    }

    /**
     * Seeds that found bugs while the simulator was being built: 1, 15 and 19 caught a forward
     * duplicated by the network being applied twice; 513 and 1265 made the checker's search
     * explode on writes of unknown outcome; 968 applied slots out of order when a client callback
     * proposed from inside an apply; 983 told a holder its session had ended because it asked a
     * replica that had not yet applied the session's opening; 300638 and 300985 compared a
     * holder's files while its last write was still unanswered; 901230 crashed a replica just
     * after it was sent a snapshot, with a commit record durable and the snapshot not, and on
     * restart it applied a stale entry as chosen (found once candidates retried sooner); 978927
     * loses a value chosen by a leader that counted its own vote before its record was durable
     * while its accepts already left (the mistake early accepts invite: this seed fails with it).
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 15, 19, 513, 968, 983, 1265, 300638, 300985, 901230, 978927})
    void regressionSeeds(long seed) {
        Simulation.Outcome o = Simulation.run(Simulation.Options.of(seed, 3));
        assertThat(o.violations()).isEmpty();
    }

    @Test
    void aSeedReplaysExactly() {
        Simulation.Outcome a = Simulation.run(Simulation.Options.of(4242, 3));
        Simulation.Outcome b = Simulation.run(Simulation.Options.of(4242, 3));
        assertThat(b.operations()).isEqualTo(a.operations());
        assertThat(b.slots()).isEqualTo(a.slots());
        assertThat(b.messages()).isEqualTo(a.messages());
    }

    @Test
    void theSimulationDoesRealWork() {
        Simulation.Outcome o = Simulation.run(Simulation.Options.of(7, 3));
        assertThat(o.operations()).isGreaterThan(100);
        assertThat(o.slots()).isGreaterThan(50);
    }

    /**
     * Each invariant can fail: with its bug planted, some seed of the first forty shows the
     * violation it guards against (the checks once could not: acknowledged writes were checked
     * against what the replicas reported applying, and progress after healing counted writes
     * made before it).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "LOSE_ACKNOWLEDGED_WRITE, is not in node 1's tree",
        "APPLY_TWICE, applied proposal",
        "DIVERGE, ends with other files",
        "STALL_AFTER_HEAL, no write committed within",
        "SKIP_WATCH_REPLAY, events, expected"})
    void aPlantedBugIsCaught(Simulation.Plant bug, String violation) {
        List<String> seen = new java.util.ArrayList<>();
        for (long seed = 1; seed <= 40; seed++) {
            Simulation.Outcome o = Simulation.run(Simulation.Options.of(seed, 3).planting(bug));
            seen.addAll(o.violations());
            if (o.violations().stream().anyMatch(v -> v.contains(violation))) {
                return;
            }
        }
        throw new AssertionError(bug + " planted, but no seed of forty reported \"" + violation + "\"; saw " + seen);
    }
}
