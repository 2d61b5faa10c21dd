package io.cairn.bench;

import io.cairn.client.CairnClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * How cost grows with size (issue 21, item 4), as curves: a point per size, a series per system,
 * each point on a fresh cluster so earlier points do not weigh on later ones. Memory is the
 * resident memory of the three members together (from /proc), before and after the size is
 * reached, so a JVM's heap that had already grown shows as less.
 */
final class Curves {
    private final Path out;
    private final Settings settings;

    Curves(Path out, Settings settings) {
        this.out = out;
        this.settings = settings;
    }

    /**
     * Makes {@code dir} ready for keys and writes {@code dir/settle}, asking again for up to 30 s:
     * a fresh cluster's first leader may lose its place to a second election a moment after it
     * was seen (a 10,000-key point failed so, with "no leader accepted the write"), and what is
     * measured starts after this.
     */
    static void firstWrite(StoreClient c, String dir) throws Exception {
        ServerGroup.retryFor(java.time.Duration.ofSeconds(30), Exception.class, () -> {
            c.ensureParent(dir);
            c.put(dir + "/settle", new byte[1]);
        });
    }

    /** Resident memory of the group's members together, in bytes. */
    static long rss(ServerGroup g) throws IOException {
        long kb = 0;
        for (ServerGroup.Member m : g.members) {
            if (m.alive()) {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(m.process.pid()), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        kb += Long.parseLong(line.replaceAll("\\D", ""));
                    }
                }
            }
        }
        return kb * 1024;
    }

    record Point(String system, long size, double bytesPer, double p50Ms, double p99Ms, long errors) {
        Map<String, Object> json() {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("system", system);
            o.put("size", size);
            o.put("bytesPer", Math.round(bytesPer));
            o.put("p50Ms", Math.round(p50Ms * 1000) / 1000.0);
            o.put("p99Ms", Math.round(p99Ms * 1000) / 1000.0);
            o.put("errors", errors);
            return o;
        }
    }

    interface Groups {
        ServerGroup start(String system) throws Exception;
    }

    /** Watches on one prefix, 1,000 to 100,000: memory per watch and delivery p99. */
    List<Point> watches(List<String> systems, List<Integer> sizes, Groups groups) throws Exception {
        List<Point> points = new ArrayList<>();
        for (String system : systems) {
            for (int n : sizes) {
                try (ServerGroup g = groups.start(system)) {
                    // Cairn refuses more than 1,024 watches on one connection (ServerLimits): at most 500 a connection.
                    // ZooKeeper refuses more than 60 connections from one address: it keeps the benchmark's 20, as etcd does.
                    int connections = system.startsWith("cairn") ? Math.max(settings.watchConnections(), (n + 499) / 500)
                            : settings.watchConnections();
                    Workloads w = new Workloads(g, settings.withWatchConnections(connections));
                    w.writes(4); // warm and settled, as every point starts
                    long before = rss(g);
                    AtomicLong at = new AtomicLong();
                    Measurement m = w.watchFanout(n, () -> {
                        try {
                            Thread.sleep(2000); // let the members' allocation for the watches settle
                            at.set(rss(g));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    Point p = new Point(system, n, (double) (at.get() - before) / n, m.p50Ms(), m.p99Ms(), m.errors());
                    points.add(p);
                    System.out.printf(Locale.ROOT, "%-9s %,8d watches: %,8.0f B each (all members), delivery p50 %.2f ms p99 %.2f ms%s%n",
                            system, n, p.bytesPer(), p.p50Ms(), p.p99Ms(), m.errors() > 0 ? " (" + m.errors() + " missing)" : "");
                } catch (Exception e) {
                    // One point that cannot be measured (a limit of the system, say) is reported as such, not the end.
                    points.add(new Point(system, n, Double.NaN, Double.NaN, Double.NaN, n));
                    System.out.printf(Locale.ROOT, "%-9s %,8d watches: not measured: %s%n", system, n, e);
                }
            }
        }
        write("curves-watches", "Watches on one prefix", "watches", "bytes per watch (all members)", "delivery p99 (ms)", points);
        return points;
    }

    /**
     * Cairn's history window, 10,000 to 1,000,000 revisions (--history): memory per revision kept
     * and the latency of a read at a random revision in the window.
     */
    List<Point> history(List<Integer> sizes, Groups groups) throws Exception {
        List<Point> points = new ArrayList<>();
        for (int n : sizes) {
            try (ServerGroup g = groups.start("cairn-history-" + n)) {
                CairnServers cs = (CairnServers) g;
                byte[] value = new byte[settings.valueBytes()];
                long before = rss(g);
                long first;
                long last;
                g.awaitLeader(java.time.Duration.ofSeconds(60));
                try (CairnClient c = cs.cairnClient()) {
                    first = firstWrite(c, value);
                    last = first;
                    // n revisions over 1,000 keys, 256 writes in flight.
                    List<CompletableFuture<Long>> inFlight = new ArrayList<>();
                    for (int i = 1; i < n; i++) {
                        inFlight.add(c.setAsync("/bench/history/k" + (i % 1000), value, -1));
                        if (inFlight.size() >= 256) {
                            for (CompletableFuture<Long> f : inFlight) {
                                last = Math.max(last, f.get());
                            }
                            inFlight.clear();
                        }
                    }
                    for (CompletableFuture<Long> f : inFlight) {
                        last = Math.max(last, f.get());
                    }
                    Thread.sleep(2000);
                    long after = rss(g);
                    Histogram h = new Histogram(3);
                    long errors = 0;
                    long lowest = Math.max(first, last - n + 1000);
                    for (int i = 0; i < 20_000; i++) {
                        long rev = lowest + ThreadLocalRandom.current().nextLong(last - lowest + 1);
                        long t0 = System.nanoTime();
                        try {
                            c.get("/bench/history/k" + ThreadLocalRandom.current().nextInt(1000), rev);
                            h.recordValue(System.nanoTime() - t0);
                        } catch (Exception e) {
                            errors++;
                        }
                    }
                    Point p = new Point("cairn", n, (double) (after - before) / n, h.getValueAtPercentile(50) / 1e6,
                            h.getValueAtPercentile(99) / 1e6, errors);
                    points.add(p);
                    System.out.printf(Locale.ROOT, "cairn %,9d revisions: %,6.0f B each (all members), read at a revision p50 %.3f ms p99 %.3f ms%s%n",
                            n, p.bytesPer(), p.p50Ms(), p.p99Ms(), errors > 0 ? " (" + errors + " errors)" : "");
                }
            }
        }
        write("curves-history", "History window (--history)", "revisions kept", "bytes per revision (all members)",
                "read at a revision p99 (ms)", points);
        return points;
    }

    /** The first write of a cluster just started, tried again while it settles its first election. */
    private static long firstWrite(CairnClient c, byte[] value) throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                return c.set("/bench/history/k0", value, -1);
            } catch (io.cairn.client.CairnException e) {
                if (attempt >= 100) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private void write(String name, String title, String xTitle, String memTitle, String latTitle, List<Point> points) throws IOException {
        Files.createDirectories(out);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("title", title);
        json.put("settings", Map.of("valueBytes", settings.valueBytes(), "watchEvents", settings.watchEvents()));
        json.put("points", points.stream().map(Point::json).toList());
        Report.writeJson(out.resolve(name + ".json"), json);
        StringBuilder md = new StringBuilder("# " + title + "\n\n| system | " + xTitle + " | " + memTitle + " | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|\n");
        for (Point p : points) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %,.0f | %.3f | %.3f | %d |%n", p.system(), p.size(), p.bytesPer(), p.p50Ms(), p.p99Ms(),
                    p.errors()));
        }
        md.append("\n![memory](").append(name).append("-memory.png) ![latency](").append(name).append("-latency.png)\n");
        Files.writeString(out.resolve(name + ".md"), md.toString(), StandardCharsets.UTF_8);
        chart(title + ": memory", xTitle, memTitle, points, Point::bytesPer, out.resolve(name + "-memory"));
        chart(title + ": latency", xTitle, latTitle, points, Point::p99Ms, out.resolve(name + "-latency"));
    }

    private static void chart(String title, String xTitle, String yTitle, List<Point> points,
                              java.util.function.ToDoubleFunction<Point> y, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle(xTitle + " (log)").yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisLogarithmic(true);
        Map<String, List<Point>> bySystem = new LinkedHashMap<>();
        points.forEach(p -> bySystem.computeIfAbsent(p.system(), k -> new ArrayList<>()).add(p));
        for (Map.Entry<String, List<Point>> e : bySystem.entrySet()) {
            chart.addSeries(e.getKey(), e.getValue().stream().mapToDouble(Point::size).toArray(),
                    e.getValue().stream().mapToDouble(y).map(v -> Double.isFinite(v) ? Math.max(v, 0) : 0).toArray());
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
