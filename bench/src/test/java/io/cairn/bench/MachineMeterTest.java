package io.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MachineMeterTest {

    @Test
    void aTurnCountsTheCpuOfTheProcessesNamedApartAndTheWholeMachine() throws Exception {
        assumeTrue(MachineMeter.available(), "Linux's /proc/stat");
        MachineMeter meter = MachineMeter.standard();
        long self = ProcessHandle.current().pid();
        MachineMeter.Sample before = meter.sample(List.of(self));
        // Work this process can be seen doing: at least 30 of the kernel's 10 ms ticks.
        long began = System.nanoTime();
        long x = 0;
        while (System.nanoTime() - began < 300_000_000L) {
            x += Long.numberOfTrailingZeros(x + System.nanoTime());
        }
        MachineMeter.Sample after = meter.sample(List.of(self));
        assertThat(x).isPositive();
        assertThat(after.others()).isGreaterThan(before.others());
        assertThat(after.busy()).isGreaterThan(before.busy());

        Map<String, Double> turn = meter.turn(250, before, after);
        assertThat(turn).containsOnlyKeys(MachineMeter.QUIET_WAIT, MachineMeter.BUSY_CORES, MachineMeter.STEAL_PCT,
                MachineMeter.IDLE_SYSTEMS_CORES);
        assertThat(turn.get(MachineMeter.QUIET_WAIT)).isEqualTo(250.0);
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(turn.get(MachineMeter.BUSY_CORES)).isPositive().isLessThanOrEqualTo(cores);
        assertThat(turn.get(MachineMeter.IDLE_SYSTEMS_CORES)).isPositive().isLessThanOrEqualTo(cores + 0.5);
        assertThat(turn.get(MachineMeter.STEAL_PCT)).isBetween(0.0, 100.0);
    }

    @Test
    void theWaitForQuietEndsByItsLimitWhenTheMachineStaysBusy() throws Exception {
        assumeTrue(MachineMeter.available(), "Linux's /proc/stat");
        // Nothing is ever quiet under minus one core: the wait runs to its limit and no further.
        MachineMeter never = new MachineMeter(-1, 20, 3, 200);
        long waited = never.awaitQuiet();
        assertThat(waited).isGreaterThanOrEqualTo(200);
        // Anything is quiet under a thousand cores: three polls.
        MachineMeter always = new MachineMeter(1000, 20, 3, 5000);
        assertThat(always.awaitQuiet()).isGreaterThanOrEqualTo(60).isLessThan(5000);
    }

    @Test
    void aProcessThatIsGoneCountsNothing() {
        assertThat(MachineMeter.processTicks(Long.MAX_VALUE)).isZero();
        assertThat(MachineMeter.standard().turn(0, null, null)).isEmpty();
    }
}
