package io.cairn.testing.sim;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cairn-sim}: runs seeds of the deterministic simulation and reports violations. */
@Command(name = "cairn-sim", mixinStandardHelpOptions = true,
        description = "Runs the deterministic simulation for many seeds; prints a replay command for each failing seed.")
public final class SimMain implements Callable<Integer> {
    @Option(names = "--seeds", defaultValue = "100", description = "How many seeds to run (default ${DEFAULT-VALUE}).")
    long seeds;

    @Option(names = "--start", defaultValue = "1", description = "First seed (default ${DEFAULT-VALUE}).")
    long start;

    @Option(names = {"--members", "--nodes"}, defaultValue = "3", description = "Members to start with: 3 or 5 (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--membership", description = "Also add, promote, remove and replace members while the faults go on.")
    boolean membership;

    @Option(names = "--disk-faults", description = "Also corrupt a record in the middle of a log, and fill disks.")
    boolean diskFaults;

    @Option(names = "--duration-ms", defaultValue = "6000", description = "Simulated time per seed (default ${DEFAULT-VALUE}).")
    long durationMs;

    @Option(names = "--verbose", description = "Print every seed's counts.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SimMain()).execute(args));
    }

    @Override
    public Integer call() {
        if (nodes != 3 && nodes != 5) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--members must be 3 or 5, got " + nodes);
        }
        if (seeds < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--seeds must be at least 1");
        }
        long began = System.nanoTime();
        long violations = 0;
        long ops = 0;
        long notApplied = 0;
        for (long s = start; s < start + seeds; s++) {
            Simulation.Options options = new Simulation.Options(s, nodes, durationMs, true);
            if (membership) {
                options = options.withMembership();
            }
            if (diskFaults) {
                options = options.withDiskFaults();
            }
            Simulation.Outcome o = Simulation.run(options);
            ops += o.operations();
            notApplied += o.saidNotApplied();
            if (verbose) {
                System.out.printf("seed %d: %d ops, %d slots, %d messages, %d writes answered not applied%n", s, o.operations(), o.slots(),
                        o.messages(), o.saidNotApplied());
            }
            if (!o.ok()) {
                violations++;
                System.out.println("seed " + s + " FAILED:");
                o.violations().forEach(v -> System.out.println("  " + v));
                System.out.println("  replay: bin/cairn-sim --seeds 1 --start " + s + " --members " + nodes
                        + (membership ? " --membership" : "") + (diskFaults ? " --disk-faults" : "")
                        + (durationMs != 6000 ? " --duration-ms " + durationMs : ""));
            }
        }
        double secs = (System.nanoTime() - began) / 1e9;
        System.out.printf("ran %d seeds (%d operations checked, %d writes answered not applied and checked never to apply)"
                + " in %.1f s, %.0f seeds/minute%n", seeds, ops, notApplied, secs, seeds / secs * 60);
        System.out.println("seeds: " + seeds + ", violations: " + violations);
        return violations > 0 ? 1 : 0;
    }
}
