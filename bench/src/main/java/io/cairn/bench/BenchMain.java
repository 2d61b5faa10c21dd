package io.cairn.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the same workloads against three-member clusters of Cairn, etcd and ZooKeeper on
 * loopback, one system after the other with fresh data directories, and writes the figures
 * with ratios to {@code bench/results/}.
 */
@Command(name = "cairn-bench", mixinStandardHelpOptions = true, version = "cairn-bench 0.1.0",
        description = "Benchmarks Cairn against etcd and ZooKeeper, three members each on loopback, fsync on.")
public final class BenchMain implements Callable<Integer> {
    static final List<String> SYSTEMS = List.of("cairn", "etcd", "zookeeper");
    /** Also runnable, not in the default set: Cairn with its policy enforced (the cost of authorization). */
    static final List<String> KNOWN = List.of("cairn", "cairn-auth", "etcd", "zookeeper");
    static final List<String> WORKLOADS = List.of("write", "read-linearizable", "read-serializable", "watch-fanout",
            "ephemeral-churn", "failover");

    @Option(names = "--quick", description = "Short windows and fewer steps: about three minutes for all three systems.")
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

    @Option(names = "--warmup", paramLabel = "SECONDS", description = "Warm-up per step (default: 5, quick: 1).")
    Integer warmupSeconds;

    @Option(names = "--measure", paramLabel = "SECONDS", description = "Measuring window per step (default: 20, quick: 3).")
    Integer measureSeconds;

    @Option(names = "--write-clients", split = ",", paramLabel = "N,...",
            description = "Concurrencies of the write workload (default: 1,16,64,256; quick: 1,64).")
    List<Integer> writeClients;

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
        if (warmupSeconds != null || measureSeconds != null || writeClients != null) {
            if ((warmupSeconds != null && warmupSeconds < 0) || (measureSeconds != null && measureSeconds < 1)
                    || (writeClients != null && writeClients.stream().anyMatch(c -> c < 1 || c > 4096))) {
                System.err.println("cairn-bench: --warmup must be >= 0, --measure >= 1, --write-clients each 1..4096");
                return 2;
            }
            settings = settings.with(warmupSeconds, measureSeconds, writeClients);
        }
        List<String> order = KNOWN.stream().filter(systems::contains).toList();
        Map<String, String> versions = new LinkedHashMap<>();
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("date", Instant.now().toString());
        run.put("mode", quick ? "quick" : "full");
        run.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + memory() + ", Java "
                + System.getProperty("java.version"));
        run.put("setup", "3 members per system on 127.0.0.1, one data directory each, fsync on, default safety"
                + " settings; systems run one after the other and their data is wiped between them");
        run.put("load", String.format(Locale.ROOT, "%d B values; %d s warm-up then %d s measured per step; closed-loop"
                        + " workers sharing at most %d client connections spread over the members",
                settings.valueBytes(), settings.warmup().toSeconds(), settings.measure().toSeconds(),
                Workloads.MAX_CONNECTIONS));
        run.put("watch-fanout", settings.watchers() + " watches on one prefix over " + settings.watchConnections()
                + " connections; " + settings.watchEvents() + " writes " + settings.watchInterval().toMillis()
                + " ms apart; latency from sending a write to each watcher being told");
        run.put("ephemeral-churn", settings.churnClients() + " workers, each cycle: open a session (Cairn session,"
                + " etcd lease, ZooKeeper session), create a key bound to it, end the session");
        run.put("failover", settings.failoverTrials() + " trial(s): SIGKILL the leader, time until a write sent"
                + " after the kill (one every 10 ms, through the survivors) is committed");

        List<Measurement> rows = new ArrayList<>();
        boolean failed = false;
        for (String system : order) {
            long began = System.nanoTime();
            try (ServerGroup group = group(system)) {
                group.keepData = keepData;
                group.start();
                versions.put(system, version(system, group));
                System.out.printf(Locale.ROOT, "%s: 3 members up in %.1f s (data in %s)%n", system,
                        (System.nanoTime() - began) / 1e9, group.base);
                Workloads w = new Workloads(group, settings);
                for (String workload : WORKLOADS) {
                    if (!workloads.contains(workload)) {
                        continue;
                    }
                    List<Measurement> ms = new ArrayList<>();
                    switch (workload) {
                        case "write" -> {
                            for (int clients : settings.writeClients()) {
                                ms.add(w.writes(clients));
                                print(system, ms.get(ms.size() - 1));
                            }
                        }
                        case "read-linearizable" -> ms.add(w.reads(true));
                        case "read-serializable" -> ms.add(w.reads(false));
                        case "watch-fanout" -> ms.add(w.watchFanout());
                        case "ephemeral-churn" -> ms.add(w.churn());
                        case "failover" -> ms.add(w.failover());
                        default -> throw new IllegalStateException(workload);
                    }
                    if (!workload.equals("write")) {
                        print(system, ms.get(0));
                    }
                    ms.forEach(m -> rows.add(m.withSystem(system)));
                }
            } catch (Exception e) {
                failed = true;
                System.err.println("cairn-bench: " + system + " failed: " + e);
            }
        }
        String name = quick ? "cairn-bench-quick" : "cairn-bench";
        new Report(rows, order, versions, run).write(out, name);
        System.out.println("results: " + out.resolve(name + ".md") + ", .json, -throughput.png, -p99.png");
        return failed ? 1 : 0;
    }

    private ServerGroup group(String system) throws IOException {
        return switch (system) {
            case "cairn" -> new CairnServers(Arrays.asList(cairnJvmFlags.trim().split("\\s+")), false);
            case "cairn-auth" -> new CairnServers(Arrays.asList(cairnJvmFlags.trim().split("\\s+")), true);
            case "etcd" -> new EtcdServers(etcd);
            case "zookeeper" -> new ZooKeeperServers(zookeeperClasspath);
            default -> throw new IllegalArgumentException(system);
        };
    }

    private static void print(String system, Measurement m) {
        System.out.printf(Locale.ROOT, "%-9s %-24s %10s ops/s  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  (%d, %d errors)%n",
                system, m.label(), Double.isNaN(m.opsPerSec()) ? "–" : String.format(Locale.ROOT, "%.0f", m.opsPerSec()),
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
