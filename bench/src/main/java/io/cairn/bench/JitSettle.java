package io.cairn.bench;

import java.util.List;
import java.util.Locale;

/**
 * The end of a system's warm-up in a full run: slices of the same work as the fixed warm-up
 * (writes at 16 clients, writes at 1, linearizable reads, {@link #SLICE_STEP_SECONDS} each) until
 * the JIT compilers of the system's members and of this process (where its client library runs)
 * ran for under {@link #SETTLED_SHARE} of the machine's cores over a slice, or
 * {@link #MAX_SECONDS} have passed. The fixed warm-up alone left the JVMs compiling into the
 * first rounds: round 1 was the slowest of four for Cairn and ZooKeeper alike in most runs
 * landed before this. etcd has no JIT, so only this process's compilers (jetcd's code) count.
 *
 * @param seconds how long the slices ran
 * @param settled whether the compilers went under the share before the limit
 * @param lastSliceCores the compilers' cores over the last slice (NaN where /proc cannot be read)
 */
record JitSettle(double seconds, boolean settled, double lastSliceCores) {
    static final int SLICE_STEP_SECONDS = 3;
    static final double SETTLED_SHARE = 0.05;
    static final int MAX_SECONDS = 60;
    static final String RULE = String.format(Locale.ROOT, "the same in slices of %d s a kind until the JIT compilers of its"
            + " members and of the harness ran for under %.0f%% of the cores over a slice (at most %d s)", SLICE_STEP_SECONDS,
            SETTLED_SHARE * 100, MAX_SECONDS);

    static JitSettle run(MachineMeter meter, List<Long> members, Workloads slice) throws Exception {
        return run(meter, members, slice, MAX_SECONDS);
    }

    /** As above, with its own limit: at least one slice runs whatever the limit. */
    static JitSettle run(MachineMeter meter, List<Long> members, Workloads slice, int maxSeconds) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        long began = System.nanoTime();
        while (true) {
            MachineMeter.Sample from = meter.sample(List.of(), members);
            slice.writes(16);
            slice.writes(1);
            slice.reads(true);
            MachineMeter.Sample to = meter.sample(List.of(), members);
            double seconds = (System.nanoTime() - began) / 1e9;
            if (from == null || to == null) {
                return new JitSettle(seconds, false, Double.NaN);
            }
            double compiling = MachineMeter.compilerCores(from, to);
            if (compiling < SETTLED_SHARE * cores) {
                return new JitSettle(seconds, true, compiling);
            }
            if (seconds >= maxSeconds) {
                return new JitSettle(seconds, false, compiling);
            }
        }
    }

    String describe() {
        if (Double.isNaN(lastSliceCores)) {
            return String.format(Locale.ROOT, "%.0f s more, the compilers not measured (no /proc)", seconds);
        }
        return settled
                ? String.format(Locale.ROOT, "compilers settled after %.0f s more (%.2f cores in the last slice)", seconds, lastSliceCores)
                : String.format(Locale.ROOT, "compilers still at %.2f cores after %.0f s more", lastSliceCores, seconds);
    }
}
