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
        MachineMeter.Sample before = meter.sample(List.of(self), List.of());
        // Work this process can be seen doing: at least 30 of the kernel's 10 ms ticks.
        long began = System.nanoTime();
        long x = 0;
        while (System.nanoTime() - began < 300_000_000L) {
            x += Long.numberOfTrailingZeros(x + System.nanoTime());
        }
        MachineMeter.Sample after = meter.sample(List.of(self), List.of());
        assertThat(x).isPositive();
        assertThat(after.others()).isGreaterThan(before.others());
        assertThat(after.busy()).isGreaterThan(before.busy());

        Map<String, Double> turn = meter.turn(250, before, after);
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(turn).containsOnlyKeys(MachineMeter.QUIET_WAIT, MachineMeter.BUSY_CORES, MachineMeter.STEAL_PCT,
                MachineMeter.IDLE_SYSTEMS_CORES, MachineMeter.COMPILER_CORES, MachineMeter.HARNESS_COMPILER_CORES);
        // No member processes were named: this JVM's compilers are the harness's, none are members'.
        assertThat(turn.get(MachineMeter.COMPILER_CORES)).isZero();
        assertThat(turn.get(MachineMeter.HARNESS_COMPILER_CORES)).isBetween(0.0, (double) cores);
        assertThat(turn.get(MachineMeter.QUIET_WAIT)).isEqualTo(250.0);
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
    void theCompilersOfThisJvmAreCountedAndThoseOfAProcessWithoutAJitAreNot() throws Exception {
        assumeTrue(MachineMeter.available(), "Linux's /proc");
        long self = ProcessHandle.current().pid();
        // By the time a test runs, this JVM's compilers have compiled JUnit, AssertJ and the JDK
        // for far longer than the kernel's 10 ms tick; HotSpot's own count says by how much.
        long compiledMs = java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        assumeTrue(compiledMs >= 500, "the JIT compiled for " + compiledMs + " ms so far");
        Map<Long, Long> threads = MachineMeter.compilerTicks(self);
        assertThat(threads).isNotEmpty();
        assertThat(threads.values().stream().mapToLong(Long::longValue).sum()).isPositive();
        // Its own threads that are not compilers (this one) are left out.
        assertThat(threads).doesNotContainKey(Long.parseLong(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/stat"))
                .split(" ")[0]));

        Process sleeper = new ProcessBuilder("sleep", "30").start();
        try {
            assertThat(MachineMeter.compilerTicks(sleeper.pid())).isEmpty();
            // This process is counted apart, whatever members are named; the counts never go back.
            MachineMeter meter = MachineMeter.standard();
            long[] first = meter.compiled(List.of(sleeper.pid()));
            assertThat(first[0]).isZero();
            assertThat(first[1]).isPositive();
            long[] again = meter.compiled(List.of(self));
            assertThat(again[0]).isZero(); // naming this process as a member does not count it twice
            assertThat(again[1]).isGreaterThanOrEqualTo(first[1]);
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
    }

    @Test
    void aProcessThatIsGoneCountsNothing() {
        assertThat(MachineMeter.processTicks(Long.MAX_VALUE)).isZero();
        assertThat(MachineMeter.compilerTicks(Long.MAX_VALUE)).isEmpty();
        assertThat(MachineMeter.standard().turn(0, null, null)).isEmpty();
    }
}
