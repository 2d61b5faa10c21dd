package io.cairn.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the machine did around one system's turn, from Linux's own counters: {@code /proc/stat}
 * for the whole machine (busy and stolen CPU), {@code /proc/PID/stat} for the members of the
 * systems not under load, and {@code /proc/PID/task/TID/stat} for the JIT compiler threads of the
 * system under load and, apart, of this process (the client libraries' code is compiled here).
 * A turn first waits for the machine to go quiet, so that no system is measured while the one
 * before it is still busy with the aftermath of its own turn (a JVM's collection, ZooKeeper's
 * snapshot, etcd's compaction).
 *
 * <p>Where the counters cannot be read (not Linux), the meter reports nothing and never waits.
 */
final class MachineMeter {
    /** The kernel's USER_HZ: what its CPU counters count in. Linux reports 100 on every architecture. */
    private static final double TICKS_PER_SECOND = 100;
    private static final Path STAT = Path.of("/proc/stat");

    /**
     * The counters at one moment. {@code others}: CPU ticks of the idle systems' member
     * processes; {@code compile}: of the compiler threads of the busy system's members, counted
     * since the meter's first reading; {@code harnessCompile}: of this process's, likewise.
     */
    record Sample(long nanos, long busy, long steal, long total, long others, long compile, long harnessCompile) {}

    /** Busy below this, in cores, is quiet: the nine idle members' heartbeats and timers stay well under it. */
    private final double quietCores;
    private final long pollMillis;
    private final int quietPolls;
    private final long maxWaitMillis;
    private final int cores = Runtime.getRuntime().availableProcessors();

    MachineMeter(double quietCores, long pollMillis, int quietPolls, long maxWaitMillis) {
        this.quietCores = quietCores;
        this.pollMillis = pollMillis;
        this.quietPolls = quietPolls;
        this.maxWaitMillis = maxWaitMillis;
    }

    /** Quiet is under 0.3 cores busy for 300 ms running, waited for at most 3 s. */
    static MachineMeter standard() {
        return new MachineMeter(0.3, 100, 3, 3000);
    }

    static boolean available() {
        return Files.isReadable(STAT);
    }

    /**
     * The counters now; {@code others}: the processes whose CPU is counted apart (the idle
     * systems' members), {@code compiling}: the processes whose JIT compilers are counted (the
     * busy system's members; this process always).
     */
    Sample sample(Collection<Long> others, Collection<Long> compiling) {
        return read(others, compiling, true);
    }

    /** The machine's counters alone, for the wait for quiet, which polls them: no process's threads are read. */
    private Sample machine() {
        return read(java.util.List.of(), java.util.List.of(), false);
    }

    private Sample read(Collection<Long> others, Collection<Long> compiling, boolean compilers) {
        try {
            long[] cpu = cpuLine();
            long otherTicks = 0;
            for (long pid : others) {
                otherTicks += processTicks(pid);
            }
            long[] compiled = compilers ? compiled(compiling) : new long[2];
            // user nice system idle iowait irq softirq steal: busy leaves out idle, iowait and steal
            long busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6];
            long total = 0;
            for (int i = 0; i < 8; i++) {
                total += cpu[i];
            }
            return new Sample(System.nanoTime(), busy, cpu[7], total, otherTicks, compiled[0], compiled[1]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Waits until the machine has been quiet for {@link #quietPolls} polls in a row, or
     * {@link #maxWaitMillis} have passed; returns how long it waited, in milliseconds.
     */
    long awaitQuiet() throws InterruptedException {
        if (!available()) {
            return 0;
        }
        long began = System.nanoTime();
        Sample last = machine();
        int quiet = 0;
        while (last != null && quiet < quietPolls && (System.nanoTime() - began) / 1_000_000 < maxWaitMillis) {
            Thread.sleep(pollMillis);
            Sample next = machine();
            if (next == null) {
                break;
            }
            quiet = busyCores(last, next) < quietCores ? quiet + 1 : 0;
            last = next;
        }
        return (System.nanoTime() - began) / 1_000_000;
    }

    /** Cores busy on average between two samples. */
    double busyCores(Sample from, Sample to) {
        long total = to.total() - from.total();
        return total <= 0 ? 0 : (double) (to.busy() - from.busy()) / total * cores;
    }

    /**
     * The turn's figures, for a measurement's parts: the wait for quiet, the machine's busy
     * cores and stolen share over the turn, the cores the idle systems' members used, and the
     * cores the JIT compilers of the busy system and of this process used.
     */
    Map<String, Double> turn(long waitedMillis, Sample from, Sample to) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (from == null || to == null) {
            return out;
        }
        long total = to.total() - from.total();
        double seconds = (to.nanos() - from.nanos()) / 1e9;
        out.put(QUIET_WAIT, (double) waitedMillis);
        out.put(BUSY_CORES, busyCores(from, to));
        out.put(STEAL_PCT, total <= 0 ? 0 : 100.0 * (to.steal() - from.steal()) / total);
        // A member restarted within the turn counts from zero again: never below nothing.
        out.put(IDLE_SYSTEMS_CORES, perSecond(to.others() - from.others(), seconds));
        out.put(COMPILER_CORES, perSecond(to.compile() - from.compile(), seconds));
        out.put(HARNESS_COMPILER_CORES, perSecond(to.harnessCompile() - from.harnessCompile(), seconds));
        return out;
    }

    /** Cores the compiler threads of the busy system's members and of this process used together between two samples. */
    static double compilerCores(Sample from, Sample to) {
        double seconds = (to.nanos() - from.nanos()) / 1e9;
        return perSecond(to.compile() - from.compile() + to.harnessCompile() - from.harnessCompile(), seconds);
    }

    private static double perSecond(long ticks, double seconds) {
        return seconds <= 0 ? 0 : Math.max(0, ticks) / TICKS_PER_SECOND / seconds;
    }

    /** The parts' names. */
    static final String QUIET_WAIT = "quietWaitMs";
    static final String BUSY_CORES = "machineBusyCores";
    static final String STEAL_PCT = "machineStealPct";
    static final String IDLE_SYSTEMS_CORES = "idleSystemsCores";
    static final String COMPILER_CORES = "compilerCores";
    static final String HARNESS_COMPILER_CORES = "harnessCompilerCores";

    private static long[] cpuLine() throws IOException {
        for (String line : Files.readAllLines(STAT)) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                long[] out = new long[8];
                for (int i = 0; i < 8 && i + 1 < f.length; i++) {
                    out[i] = Long.parseLong(f[i + 1]);
                }
                return out;
            }
        }
        throw new IOException("no cpu line in " + STAT);
    }

    /** utime + stime of a process (all its threads); 0 once it is gone. */
    static long processTicks(long pid) {
        try {
            return ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Compiler threads seen, by process and thread id, with their ticks when last read. */
    private final Map<String, Long> compilerThreads = new java.util.HashMap<>();
    private long membersCompiled;
    private long harnessCompiled;

    /**
     * Ticks the compiler threads of these processes used, and those of this one, each summed
     * since this meter's first reading: running counts that never go back. HotSpot starts
     * compiler threads as it needs them and ends idle ones, which take their ticks along; each
     * thread counts from when it was first seen, and one that ended keeps what it was counted.
     */
    synchronized long[] compiled(Collection<Long> members) {
        long self = ProcessHandle.current().pid();
        for (long pid : new java.util.LinkedHashSet<>(members)) {
            if (pid != self) {
                membersCompiled += newTicks(pid);
            }
        }
        harnessCompiled += newTicks(self);
        return new long[] {membersCompiled, harnessCompiled};
    }

    private long newTicks(long pid) {
        long sum = 0;
        for (Map.Entry<Long, Long> t : compilerTicks(pid).entrySet()) {
            Long before = compilerThreads.put(pid + "/" + t.getKey(), t.getValue());
            sum += Math.max(0, t.getValue() - (before == null ? 0 : before));
        }
        return sum;
    }

    /**
     * utime + stime of each of a process's JIT compiler threads, HotSpot's "C1 CompilerThread0"
     * and "C2 CompilerThread0" and their siblings (the kernel keeps 15 characters of a thread's
     * name), by thread id; none for a process that has no such thread (etcd) or is gone.
     */
    static Map<Long, Long> compilerTicks(long pid) {
        Map<Long, Long> out = new LinkedHashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                        out.put(Long.parseLong(task.getFileName().toString()), ticks(stat));
                    }
                } catch (IOException | RuntimeException e) {
                    // The thread ended while being read.
                }
            }
        } catch (IOException | RuntimeException e) {
            return out;
        }
        return out;
    }

    /** utime + stime from a stat line. The command name, in parentheses, may hold spaces: fields count from after its ')'. */
    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
