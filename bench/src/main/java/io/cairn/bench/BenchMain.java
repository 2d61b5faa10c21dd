package io.cairn.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the same workloads against three-member clusters of Cairn, etcd and ZooKeeper on
 * loopback, all started at once and kept warm; each step runs in rounds that alternate the
 * systems (A B C, B C A, C A B, ...), so a machine whose speed drifts over the run slows them
 * alike, and every ratio is reported as the median, minimum and maximum of its per-round
 * ratios. Failover, which kills members, runs last, one system after the other.
 */
@Command(name = "cairn-bench", mixinStandardHelpOptions = true, version = "cairn-bench 0.1.0",
        description = "Benchmarks Cairn against etcd and ZooKeeper, three members each on loopback, fsync on.")
public final class BenchMain implements Callable<Integer> {
    static final List<String> SYSTEMS = List.of("cairn", "etcd", "zookeeper");
    /** Also runnable, not in the default set: Cairn with its policy enforced (the cost of authorization). */
    static final List<String> KNOWN = List.of("cairn", "cairn-auth", "etcd", "zookeeper");
    static final List<String> WORKLOADS = List.of("write", "read-linearizable", "read-serializable", "watch-fanout",
            "ephemeral-churn", "failover");

    @Option(names = "--quick", description = "Short windows and fewer steps, without serializable reads: under four minutes"
            + " for all three systems.")
    boolean quick;

    @Option(names = "--systems", split = ",", paramLabel = "NAME,...", description = "Of: cairn, etcd, zookeeper (default: those"
            + " three), and cairn-auth: Cairn with --auth on, the client a non-admin identity under a policy of 21 rules.")
    List<String> systems = SYSTEMS;

    @Option(names = "--workloads", split = ",", paramLabel = "NAME,...",
            description = "Of: write, read-linearizable, read-serializable, watch-fanout, ephemeral-churn, failover (default: all).")
    List<String> workloads = WORKLOADS;

    @Option(names = "--out", paramLabel = "DIR", description = "Where results go (default: bench/results).")
    Path out = Path.of("bench", "results");

    @Option(names = "--etcd", paramLabel = "PATH", description = "The etcd server binary (default: etcd on PATH).")
    String etcd;

    @Option(names = "--zookeeper-classpath", paramLabel = "CP",
            description = "Classpath of the ZooKeeper server (default: Debian's /usr/share/java/zookeeper.jar).")
    String zookeeperClasspath = "/usr/share/java/zookeeper.jar";

    @Option(names = "--cairn-jvm-flags", paramLabel = "FLAGS",
            description = "JVM flags for Cairn members (default: those of bin/cairn-node); {member} becomes the member's number.")
    String cairnJvmFlags = "-XX:+UseG1GC -XX:MaxGCPauseMillis=30 -XX:MaxTenuringThreshold=0 -Xmx1g";

    @Option(names = "--cairn-node-flags", paramLabel = "FLAGS",
            description = "More cairn-node flags for Cairn members (default: none, the members' defaults), e.g. \"--snapshot-every 20000\".")
    String cairnNodeFlags = "";

    @Option(names = "--warmup", paramLabel = "SECONDS", description = "Warm-up per step (default: 5, quick: 1).")
    Integer warmupSeconds;

    @Option(names = "--measure", paramLabel = "SECONDS", description = "Measuring window per step (default: 20, quick: 3).")
    Integer measureSeconds;

    @Option(names = "--write-clients", split = ",", paramLabel = "N,...",
            description = "Concurrencies of the write workload (default: 1,16,64,256; quick: 1,64).")
    List<Integer> writeClients;

    @Option(names = "--rounds", paramLabel = "N", description = "Rounds of each step, the systems alternating (default: full 4,"
            + " quick 3; at least 1).")
    Integer rounds;

    @Option(names = "--floor", description = "Only break one client's write on Cairn into its parts against this machine's floor"
            + " (loopback round trips and a 4 KiB fdatasync), into --out's write-floor.md and .json.")
    boolean floor;

    @Option(names = "--floor-gap", paramLabel = "MS", description = "With --floor: the client waits MS between writes, as the"
            + " watch step's writer does (200), so each write finds the members quiet; into --out's write-floor-gap.md and .json.")
    Integer floorGapMs;

    @Option(names = "--curves", split = ",", paramLabel = "NAME,...", description = "Only the cost-of-size curves named: data"
            + " (1,000 to 1,000,000 keys of 1 KiB: memory, snapshot, restart, catch-up), watches (1,000 to 100,000 on one"
            + " prefix), sessions (100 to 10,000 with an ephemeral key each: keepalive CPU, removal after the client's death),"
            + " history (Cairn's --history, 10,000 to 1,000,000 revisions);"
            + " into --out's curves-NAME.md, .json and plots.")
    List<String> curves;

    @Option(names = "--sizes", split = ",", paramLabel = "N,...", description = "With --curves: only these sizes (keys, watches,"
            + " sessions or revisions) instead of each curve's own list; the data and sessions curves keep their earlier points at other sizes in their files.")
    List<Integer> sizes;

    @Option(names = "--etcd-crosscheck", paramLabel = "TOOL", description = "Only write to one etcd cluster with the harness (jetcd)"
            + " and with etcd's own Go benchmark tool at TOOL (bench/etcd-benchmark.sh builds it), 64 clients over 8 connections,"
            + " in alternating rounds; into --out's etcd-crosscheck.md and .json.")
    Path etcdCrosscheck;

    @Option(names = "--update-readme", paramLabel = "README",
            description = "Only rewrite README's performance table (between its bench-table markers) from --out's cairn-bench.json, and exit.")
    Path updateReadme;

    @Option(names = "--keep-data", description = "Keep each system's data directories and member logs after the run.")
    boolean keepData;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        quietClientLibraries();
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    /**
     * The peers' client libraries log every reconnect at INFO or WARN with a stack trace, which
     * buries the figures during a failover; only their errors are kept. (Cairn members started by
     * the benchmark log to their own files, as configured.)
     */
    private static void quietClientLibraries() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            for (String name : List.of("org.apache.zookeeper", "io.etcd", "io.grpc", "io.vertx", "io.netty", "io.cairn.client")) {
                ctx.getLogger(name).setLevel(ch.qos.logback.classic.Level.ERROR);
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        if (updateReadme != null) {
            Path json = out.resolve("cairn-bench.json");
            if (!Files.isReadable(json) || !Files.isWritable(updateReadme)) {
                System.err.println("cairn-bench: --update-readme needs " + json + " to read and " + updateReadme + " to write");
                return 2;
            }
            try {
                ReadmeTable.update(updateReadme, json);
            } catch (IllegalArgumentException e) {
                System.err.println("cairn-bench: " + e.getMessage());
                return 2;
            }
            System.out.println("cairn-bench: the table in " + updateReadme + " is made from " + json);
            return 0;
        }
        if (sizes != null && curves == null) {
            System.err.println("cairn-bench: --sizes is for the curves; name them with --curves");
            return 2;
        }
        if (sizes != null && sizes.stream().anyMatch(n -> n < 1)) {
            System.err.println("cairn-bench: --sizes takes positive counts, got " + sizes);
            return 2;
        }
        if (floorGapMs != null && (!floor || floorGapMs < 0 || floorGapMs > 10_000)) {
            System.err.println("cairn-bench: --floor-gap takes 0..10000 ms and goes with --floor, got " + floorGapMs
                    + (floor ? "" : " without --floor"));
            return 2;
        }
        if (curves != null) {
            return curves();
        }
        if (etcdCrosscheck != null) {
            return etcdCrosscheck();
        }
        if (floor) {
            Settings fs = quick ? Settings.quick() : Settings.full();
            int gap = floorGapMs == null ? 0 : floorGapMs;
            Path traces = Files.createTempDirectory("cairn-bench-trace");
            List<String> flags = new ArrayList<>(Arrays.asList(cairnJvmFlags.trim().split("\\s+")));
            flags.add(WriteFloor.memberTraceFlag(traces));
            CairnServers g = new CairnServers(flags, false);
            g.keepData = keepData;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> closeAll(Map.of("cairn", g)), "cairn-bench-stop"));
            try {
                Map<String, Object> r;
                try (g) {
                    g.start();
                    r = WriteFloor.run(g, fs, Duration.ofSeconds(measureSeconds == null ? 20 : measureSeconds),
                            Duration.ofMillis(gap), traces);
                }
                r.put("hops", WriteFloor.hops(traces)); // the members wrote their marks as they stopped
                r.put("date", Instant.now().toString());
                r.put("cairn", "this checkout" + commit());
                writeResult(gap > 0 ? "write-floor-gap" : "write-floor", "# Where a write's time goes\n\n- date: " + r.get("date") + "\n- cairn: " + r.get("cairn")
                        + "\n- machine: " + Runtime.getRuntime().availableProcessors() + " cores, " + memory(), WriteFloor.markdown(r), r);
            } finally {
                ServerGroup.deleteTree(traces);
            }
            return 0;
        }
        List<String> problems = new ArrayList<>();
        for (String s : systems) {
            if (!KNOWN.contains(s)) {
                problems.add("unknown system '" + s + "'; known: " + String.join(", ", KNOWN));
            }
        }
        for (String w : workloads) {
            if (!WORKLOADS.contains(w)) {
                problems.add("unknown workload '" + w + "'; known: " + String.join(", ", WORKLOADS));
            }
        }
        if (systems.contains("etcd")) {
            if (etcd == null) {
                etcd = onPath("etcd");
            }
            if (etcd == null || !Files.isExecutable(Path.of(etcd))) {
                problems.add("etcd is not installed (no etcd on PATH): run bench/install-peers.sh, pass --etcd PATH,"
                        + " or leave it out with --systems");
            }
        }
        if (systems.contains("zookeeper")) {
            for (String part : zookeeperClasspath.split(File.pathSeparator)) {
                if (!Files.exists(Path.of(part))) {
                    problems.add("ZooKeeper is not installed (" + part + " is missing): run bench/install-peers.sh,"
                            + " pass --zookeeper-classpath, or leave it out with --systems");
                }
            }
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.err.println("cairn-bench: " + p));
            return 2;
        }

        Settings settings = quick ? Settings.quick() : Settings.full();
        if (quick && workloads == WORKLOADS) {
            // Under four minutes: the steps the goals name (serializable reads are in the full run).
            workloads = WORKLOADS.stream().filter(w -> !w.equals("read-serializable")).toList();
        }
        if (warmupSeconds != null || measureSeconds != null || writeClients != null || rounds != null) {
            if ((warmupSeconds != null && warmupSeconds < 0) || (measureSeconds != null && measureSeconds < 1)
                    || (writeClients != null && writeClients.stream().anyMatch(c -> c < 1 || c > 4096))
                    || (rounds != null && (rounds < 1 || rounds > 100))) {
                System.err.println("cairn-bench: --warmup must be >= 0, --measure >= 1, --write-clients each 1..4096, --rounds 1..100");
                return 2;
            }
            settings = settings.with(warmupSeconds, measureSeconds, writeClients, rounds);
        }
        List<String> order = KNOWN.stream().filter(systems::contains).toList();
        Map<String, String> versions = new LinkedHashMap<>();
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("date", Instant.now().toString());
        run.put("mode", quick ? "quick" : "full");
        run.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + memory() + ", Java "
                + System.getProperty("java.version"));
        run.put("setup", "3 members per system on 127.0.0.1, one data directory each, fsync on, default safety"
                + " settings; all systems started at once and kept running; only one is under load at a time"
                + (cairnNodeFlags.isBlank() ? "" : "; Cairn's members with " + cairnNodeFlags.trim()));
        run.put("rounds", settings.rounds() + " per step, the systems in turn, their order rotated each round; a ratio is"
                + " the median (min-max) of the per-round ratios, and a goal is met only if its worst round meets it");
        run.put("load", String.format(Locale.ROOT, "%d B values; %d s warm-up then %d s measured per step and round;"
                        + " closed-loop workers sharing at most %d client connections spread over the members",
                settings.valueBytes(), settings.warmup().toSeconds(), settings.measure().toSeconds(),
                Workloads.MAX_CONNECTIONS));
        run.put("watch-fanout", settings.watchers() + " watches on one prefix over " + settings.watchConnections()
                + " connections; " + settings.watchEvents() + " writes " + settings.watchInterval().toMillis()
                + " ms apart after " + Workloads.warmEvents(settings) + " unrecorded; latency from sending a write to each watcher"
                + " being told");
        run.put("ephemeral-churn", settings.churnClients() + " workers, each cycle: open a session (Cairn session,"
                + " etcd lease, ZooKeeper session), create a key bound to it, end the session");
        run.put("failover", settings.failoverTrials() + " trial(s): SIGKILL the leader, time until a write sent"
                + " after the kill (one every 10 ms, through the survivors) is committed");

        List<Measurement> rows = new ArrayList<>();
        boolean failed = false;
        Map<String, ServerGroup> groups = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
        Map<String, Workloads> loads = new LinkedHashMap<>();
        // Ctrl-C or SIGTERM must not leave nine members running: the hook stops what is started.
        Thread stopAll = new Thread(() -> closeAll(groups), "cairn-bench-stop");
        Runtime.getRuntime().addShutdownHook(stopAll);
        try {
            for (String system : order) {
                long began = System.nanoTime();
                ServerGroup group = group(system);
                groups.put(system, group);
                group.keepData = keepData;
                group.start();
                versions.put(system, version(system, group));
                loads.put(system, new Workloads(group, settings));
                System.out.printf(Locale.ROOT, "%s: 3 members up in %.1f s (data in %s)%n", system,
                        (System.nanoTime() - began) / 1e9, group.base);
            }
            // JVM systems start cold: without this, the first step's first round measures the JIT
            // compiler of whichever system goes first. Writes and reads, unrecorded, for each.
            // Writes at one client too: a Cairn member then syncs an idle log on its loop, code
            // that 16 clients never run, and the first step's first round had compiled it (Cairn's
            // p99 at one client 3.50 ms in round 1 of the run landed on 2026-12-06, 1.58-1.80 after).
            Settings warm = settings.with(0, quick ? 3 : 10, null, null);
            MachineMeter meter = MachineMeter.standard();
            Map<String, String> warmedUp = new LinkedHashMap<>();
            for (String system : order) {
                try {
                    Workloads w = new Workloads(groups.get(system), warm);
                    w.writes(16);
                    w.writes(1);
                    w.reads(true);
                    String settled = quick ? "" : JitSettle.run(meter, groups.get(system).pids(),
                            new Workloads(groups.get(system), settings.with(0, JitSettle.SLICE_STEP_SECONDS, null, null))).describe();
                    warmedUp.put(system, settled);
                    System.out.printf(Locale.ROOT, "%s: warmed up (%d s of writes at 16 clients and %d s at 1, %d s of reads)%s%n",
                            system, warm.measure().toSeconds(), warm.measure().toSeconds(), warm.measure().toSeconds(),
                            settled.isEmpty() ? "" : "; " + settled);
                } catch (Exception e) {
                    failed = true;
                    System.err.println("cairn-bench: warming up " + system + " failed: " + e);
                }
            }
            if (!quick) {
                StringJoiner told = new StringJoiner("; ");
                warmedUp.forEach((system, settled) -> told.add(system + " " + settled));
                run.put("warm-up", warm.measure().toSeconds() + " s of writes at 16 clients, " + warm.measure().toSeconds()
                        + " s at 1 and " + warm.measure().toSeconds() + " s of reads per system, then " + JitSettle.RULE + ": " + told);
            }
            // Each turn starts once the machine is quiet, and records what the machine did during it.
            for (Step step : steps(settings)) {
                for (int r = 0; r < settings.rounds(); r++) {
                    for (int i = 0; i < order.size(); i++) {
                        String system = order.get((i + r) % order.size());
                        try {
                            List<Long> idle = idlePids(groups, system);
                            long waited = meter.awaitQuiet();
                            List<Long> busy = groups.get(system).pids();
                            MachineMeter.Sample before = meter.sample(idle, busy);
                            Measurement m = step.run(loads.get(system)).withSystem(system).inRound(r + 1);
                            m = m.withMoreParts(meter.turn(waited, before, meter.sample(idle, busy)));
                            rows.add(m);
                            print(m);
                        } catch (Exception e) {
                            failed = true;
                            System.err.println("cairn-bench: " + system + " " + step.name() + " round " + (r + 1) + " failed: " + e);
                        }
                    }
                }
            }
            if (workloads.contains("failover")) {
                // It kills members: last, and one system at a time.
                for (String system : order) {
                    try {
                        Measurement m = loads.get(system).failover().withSystem(system);
                        rows.add(m);
                        print(m);
                    } catch (Exception e) {
                        failed = true;
                        System.err.println("cairn-bench: " + system + " failover failed: " + e);
                    }
                }
            }
        } catch (Exception e) {
            failed = true;
            System.err.println("cairn-bench: starting the clusters failed: " + e);
        } finally {
            closeAll(groups);
        }
        String name = quick ? "cairn-bench-quick" : "cairn-bench";
        new Report(rows, order, versions, run).write(out, name);
        System.out.println("results: " + out.resolve(name + ".md") + ", .json, -throughput.png, -p99.png");
        Path readme = Path.of("README.md");
        if (!quick && !failed && out.equals(Path.of("bench", "results")) && order.equals(SYSTEMS) && workloads.equals(WORKLOADS)
                && writeClients == null && cairnNodeFlags.isBlank() && Files.isWritable(readme)) {
            // A full run of the three systems into the landed results is the README's table too.
            ReadmeTable.update(readme, out.resolve(name + ".json"));
            System.out.println("README.md's performance table remade from " + out.resolve(name + ".json"));
        }
        return failed ? 1 : 0;
    }

    /** The member processes of every system but {@code busy}: those idle during its turn. */
    private static List<Long> idlePids(Map<String, ServerGroup> groups, String busy) {
        List<Long> out = new ArrayList<>();
        groups.forEach((name, g) -> {
            if (!name.equals(busy)) {
                out.addAll(g.pids());
            }
        });
        return out;
    }

    /** A one-purpose mode's result into --out: NAME.md (the header, then the body) and NAME.json; the body on stdout too. */
    private void writeResult(String name, String header, String body, Map<String, Object> json) throws IOException {
        Files.createDirectories(out);
        Files.writeString(out.resolve(name + ".md"), header + "\n\n" + body);
        Report.writeJson(out.resolve(name + ".json"), json);
        System.out.print(body);
    }

    private int etcdCrosscheck() throws Exception {
        if (etcd == null) {
            etcd = onPath("etcd");
        }
        if (etcd == null || !Files.isExecutable(Path.of(etcd)) || !Files.isExecutable(etcdCrosscheck)) {
            System.err.println("cairn-bench: --etcd-crosscheck needs etcd (bench/install-peers.sh) and etcd's benchmark tool"
                    + " (bench/etcd-benchmark.sh prints its path), got " + etcdCrosscheck);
            return 2;
        }
        Settings s = (quick ? Settings.quick() : Settings.full()).with(warmupSeconds, measureSeconds, null, rounds);
        EtcdServers g = new EtcdServers(etcd);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeAll(Map.of("etcd", g)), "cairn-bench-stop"));
        try (g) {
            g.start();
            Map<String, Object> r = EtcdCrossCheck.run(g, s, etcdCrosscheck, s.rounds());
            r.put("date", Instant.now().toString());
            r.put("etcd", firstLine(etcd, "--version"));
            writeResult("etcd-crosscheck", "# etcd through the harness (jetcd) and through its own benchmark tool\n\n- date: "
                    + r.get("date") + "\n- etcd: " + r.get("etcd") + "\n- load: writes of " + s.valueBytes() + " B values, 64 clients over 8"
                    + " connections, " + s.measure().toSeconds() + " s a round for the harness and the same number of writes for the tool",
                    EtcdCrossCheck.markdown(r), r);
        }
        return 0;
    }

    private static final List<String> CURVES = List.of("data", "watches", "sessions", "history");

    private int curves() throws Exception {
        for (String c : curves) {
            if (!CURVES.contains(c)) {
                System.err.println("cairn-bench: unknown curve '" + c + "'; known: " + String.join(", ", CURVES));
                return 2;
            }
        }
        if (etcd == null) {
            etcd = onPath("etcd");
        }
        List<String> curveSystems = new ArrayList<>();
        for (String system : KNOWN.stream().filter(systems::contains).filter(x -> !x.equals("cairn-auth")).toList()) {
            boolean installed = switch (system) {
                case "etcd" -> etcd != null && Files.isExecutable(Path.of(etcd));
                case "zookeeper" -> Files.exists(Path.of(zookeeperClasspath.split(File.pathSeparator)[0]));
                default -> true;
            };
            if (installed) {
                curveSystems.add(system);
            } else {
                System.err.println("cairn-bench: " + system + " is not installed (bench/install-peers.sh): left out of the curves");
            }
        }
        Settings s = Settings.full().with(1, 3, null, null);
        Curves k = new Curves(out, s);
        List<String> jvm = Arrays.asList(cairnJvmFlags.trim().split("\\s+"));
        Map<String, ServerGroup> started = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeAll(started), "cairn-bench-stop"));
        Curves.Groups groups = system -> {
            ServerGroup g;
            List<String> big = new ArrayList<>(jvm.stream().filter(f -> !f.startsWith("-Xmx")).toList());
            big.add("-Xmx3g");
            if (system.startsWith("cairn-history-")) {
                g = new CairnServers(big, false, List.of("--history", system.substring("cairn-history-".length())));
            } else if (system.equals("cairn-big")) {
                g = new CairnServers(big, false);
            } else if (system.equals("zookeeper-big")) {
                // A GiB of data does not fit ZooKeeper's default heap; it gets Cairn's 3 GiB. No connection limit: a session is one.
                g = new ZooKeeperServers(zookeeperClasspath, "3g", List.of("maxClientCnxns=0"));
            } else {
                g = group(system);
            }
            started.put(system, g);
            g.keepData = keepData;
            g.start();
            return g;
        };
        if (curves.contains("data")) {
            new DataSetCurve(out).run(big(curveSystems), sizesOr(quick ? List.of(1_000, 10_000) : List.of(1_000, 10_000, 100_000, 1_000_000)), groups);
        }
        if (curves.contains("sessions")) {
            new SessionsCurve(out).run(big(curveSystems), sizesOr(quick ? List.of(100, 1_000) : List.of(100, 1_000, 10_000)), groups);
        }
        if (curves.contains("watches")) {
            k.watches(curveSystems, sizesOr(quick ? List.of(1_000, 10_000) : List.of(1_000, 10_000, 100_000)), groups);
        }
        if (curves.contains("history")) {
            k.history(sizesOr(quick ? List.of(10_000, 100_000) : List.of(10_000, 100_000, 1_000_000)), groups);
        }
        return 0;
    }

    private List<Integer> sizesOr(List<Integer> defaults) {
        return sizes == null || sizes.isEmpty() ? defaults : sizes;
    }

    /** The systems with the heap (and for ZooKeeper the connections) a large data set or many sessions need. */
    private static List<String> big(List<String> systems) {
        return systems.stream().map(x -> x.equals("etcd") ? x : x + "-big").toList();
    }

    private static void closeAll(Map<String, ServerGroup> groups) {
        List<ServerGroup> all;
        synchronized (groups) {
            all = new ArrayList<>(groups.values());
        }
        for (ServerGroup g : all) {
            try {
                g.close();
            } catch (Exception e) {
                System.err.println("cairn-bench: stopping a cluster: " + e);
            }
        }
    }

    /** One step of a run: a workload at one concurrency, the same for every system and round. */
    record Step(String name, Task task) {
        Measurement run(Workloads w) throws Exception {
            return task.run(w);
        }
    }

    interface Task {
        Measurement run(Workloads w) throws Exception;
    }

    /** The steps this run makes, in order (failover is not one: it runs after them). */
    List<Step> steps(Settings settings) {
        List<Step> out = new ArrayList<>();
        for (String workload : WORKLOADS) {
            if (!workloads.contains(workload)) {
                continue;
            }
            switch (workload) {
                case "write" -> settings.writeClients().forEach(n -> out.add(new Step("write x" + n, w -> w.writes(n))));
                case "read-linearizable" -> out.add(new Step(workload, w -> w.reads(true)));
                case "read-serializable" -> out.add(new Step(workload, w -> w.reads(false)));
                case "watch-fanout" -> out.add(new Step(workload, Workloads::watchFanout));
                case "ephemeral-churn" -> out.add(new Step(workload, Workloads::churn));
                case "failover" -> { }
                default -> throw new IllegalStateException(workload);
            }
        }
        return out;
    }

    private List<String> nodeFlags() {
        return cairnNodeFlags.isBlank() ? List.of() : Arrays.asList(cairnNodeFlags.trim().split("\\s+"));
    }

    private ServerGroup group(String system) throws IOException {
        return switch (system) {
            case "cairn" -> new CairnServers(Arrays.asList(cairnJvmFlags.trim().split("\\s+")), false, nodeFlags());
            case "cairn-auth" -> new CairnServers(Arrays.asList(cairnJvmFlags.trim().split("\\s+")), true, nodeFlags());
            case "etcd" -> new EtcdServers(etcd);
            case "zookeeper" -> new ZooKeeperServers(zookeeperClasspath);
            default -> throw new IllegalArgumentException(system);
        };
    }

    private static void print(Measurement m) {
        System.out.printf(Locale.ROOT, "%-9s r%-2d %-24s %10s ops/s  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  (%d, %d errors)%n",
                m.system(), m.round(), m.label(), Double.isNaN(m.opsPerSec()) ? "–" : String.format(Locale.ROOT, "%.0f", m.opsPerSec()),
                m.p50Ms(), m.p99Ms(), m.maxMs(), m.count(), m.errors());
    }

    private String version(String system, ServerGroup group) {
        return switch (system) {
            case "etcd" -> firstLine(etcd, "--version");
            case "zookeeper" -> ((ZooKeeperServers) group).serverVersion();
            default -> "this checkout" + commit();
        };
    }

    private static String commit() {
        String c = firstLine("git", "rev-parse", "--short", "HEAD");
        return c.isEmpty() || c.contains("fatal") ? "" : " (" + c + ")";
    }

    private static String firstLine(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line = r.readLine();
                p.waitFor();
                return line == null ? "" : line.trim();
            }
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static String onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private static String memory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D", ""));
                    return String.format(Locale.ROOT, "%.0f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: leave it out
        }
        return "memory unknown";
    }
}
