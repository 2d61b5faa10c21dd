package io.cairn.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * The cost of sessions (issue 21, item 4): N sessions, each with one ephemeral key, held by a
 * process of their own ({@link SessionHolder}) with each system's client keeping them alive.
 * What they cost is the CPU the members spend on them while idle (above the same cluster's idle
 * CPU before they opened), the leader's share apart, and the leader's memory per session. Then
 * the holder (for ZooKeeper, the holders: see {@link #ZOOKEEPER_SESSIONS_A_HOLDER}) is killed with SIGKILL and a watcher times each key's removal: how long after a
 * client's death its presence is gone, with a TTL of {@value #TTL_SECONDS} s in every system.
 */
final class SessionsCurve {
    static final int TTL_SECONDS = 10;
    private static final long CPU_WINDOW_MS = 10_000;
    private static final long CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux
    /**
     * Sessions a holder process opens at most for ZooKeeper: a ZooKeeper session is a connection
     * with a selector of its own, three or four file descriptors, so 10,000 in one process ran
     * past this machine's limit of 20,000 open files ("Too many open files"), which a container
     * without CAP_SYS_RESOURCE cannot raise, not even as root. The others share connections.
     */
    static final int ZOOKEEPER_SESSIONS_A_HOLDER = 2_500;

    record Point(String system, int sessions, double leaderCpuMsPerSec, double membersCpuMsPerSec, double leaderBytesPerSession,
                 double expiryP50Ms, double expiryP99Ms, double expiryMaxMs, long missing, String error) {
        Map<String, Object> json() {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("system", system);
            o.put("sessions", sessions);
            o.put("leaderCpuMsPerSec", CurvePoints.round(leaderCpuMsPerSec));
            o.put("membersCpuMsPerSec", CurvePoints.round(membersCpuMsPerSec));
            o.put("leaderRssBytesPerSession", CurvePoints.round(leaderBytesPerSession));
            o.put("removalAfterDeathP50Ms", CurvePoints.round(expiryP50Ms));
            o.put("removalAfterDeathP99Ms", CurvePoints.round(expiryP99Ms));
            o.put("removalAfterDeathMaxMs", CurvePoints.round(expiryMaxMs));
            o.put("missing", missing);
            if (error != null) {
                o.put("error", error);
            }
            return o;
        }
    }

    private static Point parse(Map<String, Object> o) {
        return new Point(CurvePoints.str(o, "system"), (int) CurvePoints.num(o, "sessions"), CurvePoints.num(o, "leaderCpuMsPerSec"),
                CurvePoints.num(o, "membersCpuMsPerSec"), CurvePoints.num(o, "leaderRssBytesPerSession"),
                CurvePoints.num(o, "removalAfterDeathP50Ms"), CurvePoints.num(o, "removalAfterDeathP99Ms"),
                CurvePoints.num(o, "removalAfterDeathMaxMs"), (long) CurvePoints.num(o, "missing"), CurvePoints.str(o, "error"));
    }

    private final Path out;

    SessionsCurve(Path out) {
        this.out = out;
    }

    List<Point> run(List<String> systems, List<Integer> sizes, Curves.Groups groups) throws Exception {
        List<Point> points = CurvePoints.measureEach(systems, sizes, groups, this::measure,
                (system, n, e) -> new Point(system, n, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, n, e.toString()), SessionsCurve::print);
        points = CurvePoints.withOthersFrom(out.resolve("curves-sessions.json"), points, Point::system, p -> (long) p.sessions(), SessionsCurve::parse);
        write(points);
        return points;
    }

    private static void print(Point p) {
        System.out.printf(Locale.ROOT, "%-9s %,6d sessions: CPU above idle %.1f ms/s on the leader, %.1f ms/s on all members;"
                        + " leader %,.0f B a session; removal after the holder's death p50 %,.0f ms p99 %,.0f ms max %,.0f ms%s%s%n",
                p.system(), p.sessions(), p.leaderCpuMsPerSec(), p.membersCpuMsPerSec(), p.leaderBytesPerSession(), p.expiryP50Ms(),
                p.expiryP99Ms(), p.expiryMaxMs(), p.missing() > 0 ? " (" + p.missing() + " not removed)" : "",
                p.error() == null ? "" : " (" + p.error() + ")");
    }

    private Point measure(String system, int n, ServerGroup g) throws Exception {
        String prefix = "/bench/sessions";
        int leader = g.awaitLeader(java.time.Duration.ofSeconds(60));
        try (StoreClient c = g.client(leader)) {
            Curves.firstWrite(c, prefix);
            for (int i = 0; i < 4; i++) {
                c.put("/bench/warm" + i, new byte[16]);
            }
        }
        Thread.sleep(2000);
        long rssBefore = rss(g.members.get(leader));

        StringJoiner endpoints = new StringJoiner(",");
        g.members.forEach(m -> endpoints.add(m.clientAddress()));
        String java = ProcessHandle.current().info().command().orElse("java");
        int each = system.startsWith("zookeeper") ? ZOOKEEPER_SESSIONS_A_HOLDER : n;
        List<Process> holders = new ArrayList<>();
        for (int first = 0; first < n; first += each) {
            holders.add(new ProcessBuilder(java, "-Xss256k", "-Xmx2g", "-cp", System.getProperty("java.class.path"),
                    SessionHolder.class.getName(), system.replaceAll("-.*", ""), endpoints.toString(), Integer.toString(Math.min(each, n - first)),
                    Integer.toString(TTL_SECONDS), prefix, Integer.toString(first))
                    .redirectError(ProcessBuilder.Redirect.appendTo(g.base.resolve("holder.log").toFile())).start());
        }
        try {
            for (Process holder : holders) {
                awaitReady(holder, n, g.base.resolve("holder.log"));
            }
            Thread.sleep(2000);
            long[] held = cpuOver(g, leader);
            long rssAfter = rss(g.members.get(leader));

            Map<String, Long> removed = new ConcurrentHashMap<>();
            try (StoreClient w = g.client((leader + 1) % ServerGroup.MEMBERS);
                 AutoCloseable watch = w.watchPrefix(prefix, key -> removed.putIfAbsent(key, System.nanoTime()))) {
                Thread.sleep(1000); // the watch is in place on the member before the first removal
                long t0 = System.nanoTime();
                holders.forEach(Process::destroyForcibly); // SIGKILL: no session is ended politely
                for (Process holder : holders) {
                    holder.waitFor();
                }
                long end = t0 + TimeUnit.SECONDS.toNanos(TTL_SECONDS + 60);
                while (removed.size() < n && System.nanoTime() < end) {
                    Thread.sleep(50);
                }
                double[] ms = removed.values().stream().mapToDouble(t -> (t - t0) / 1e6).sorted().toArray();
                // The idle CPU is measured now, on the same cluster with its sessions gone: after the load of
                // opening them its JVMs are as warm as they were while holding them (measured before, a
                // JVM still compiling made the idle cluster look busier than the one holding 100 sessions).
                Thread.sleep(2000);
                long[] idle = cpuOver(g, leader);
                double leaderCpu = (held[0] - idle[0]) * 1000.0 / CPU_WINDOW_MS;
                double membersCpu = (held[1] - idle[1]) * 1000.0 / CPU_WINDOW_MS;
                return new Point(system, n, leaderCpu, membersCpu, (double) (rssAfter - rssBefore) / n, percentile(ms, 50),
                        percentile(ms, 99), ms.length == 0 ? Double.NaN : ms[ms.length - 1], n - ms.length, null);
            }
        } finally {
            for (Process holder : holders) {
                holder.destroyForcibly();
                holder.waitFor();
            }
        }
    }

    private static void awaitReady(Process holder, int n, Path log) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        java.util.concurrent.CompletableFuture<String> line = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return in.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String got = line.get(10, TimeUnit.MINUTES);
        if (got == null || !got.startsWith("ready")) {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            throw new IllegalStateException("the session holder ended before its " + n + " sessions were open (exit "
                    + holder.waitFor() + "): " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())));
        }
    }

    static double percentile(double[] sorted, double pct) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(pct / 100 * sorted.length) - 1)];
    }

    /** CPU milliseconds (user and system) over the window: the leader's, and the members' together. */
    private static long[] cpuOver(ServerGroup g, int leader) throws Exception {
        long[] start = cpu(g, leader);
        Thread.sleep(CPU_WINDOW_MS);
        long[] end = cpu(g, leader);
        return new long[] {end[0] - start[0], end[1] - start[1]};
    }

    private static long[] cpu(ServerGroup g, int leader) throws IOException {
        long all = 0;
        long lead = 0;
        for (ServerGroup.Member m : g.members) {
            if (m.alive()) {
                String stat = Files.readString(Path.of("/proc", Long.toString(m.process.pid()), "stat"));
                // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long ms = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * CLOCK_TICK_MS;
                all += ms;
                if (m.index == leader) {
                    lead = ms;
                }
            }
        }
        return new long[] {lead, all};
    }

    private static long rss(ServerGroup.Member m) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(m.process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return 0;
    }

    private void write(List<Point> points) throws IOException {
        Files.createDirectories(out);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("title", "Sessions with an ephemeral key each");
        json.put("settings", Map.of("ttlSeconds", TTL_SECONDS, "cpuWindowMs", CPU_WINDOW_MS));
        json.put("points", points.stream().map(Point::json).toList());
        Report.writeJson(out.resolve("curves-sessions.json"), json);
        StringBuilder md = new StringBuilder("# Sessions with an ephemeral key each\n\nHeld by one client process with each system's own"
                + " client (TTL " + TTL_SECONDS + " s), which is then killed with SIGKILL. CPU is above the same cluster's idle CPU,"
                + " over " + CPU_WINDOW_MS / 1000 + " s (resolution 1 ms/s).\n\n"
                + "| system | sessions | leader CPU ms/s | all members CPU ms/s | leader RSS B/session | removal after death p50 ms"
                + " | p99 ms | max ms | not removed |\n|---|---|---|---|---|---|---|---|---|\n");
        for (Point p : points) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %s | %s | %s | %s | %s | %s | %d |%n", p.system(), p.sessions(),
                    num(p.leaderCpuMsPerSec(), 1), num(p.membersCpuMsPerSec(), 1), num(p.leaderBytesPerSession(), 0),
                    num(p.expiryP50Ms(), 0), num(p.expiryP99Ms(), 0), num(p.expiryMaxMs(), 0), p.missing()));
        }
        for (Point p : points) {
            if (p.error() != null) {
                md.append("\n- ").append(p.system()).append(" at ").append(String.format(Locale.ROOT, "%,d", p.sessions()))
                        .append(" sessions not measured: ").append(p.error());
            }
        }
        md.append("\n\n![keepalive cost](curves-sessions-cpu.png) ![removal after death](curves-sessions-expiry.png)\n");
        Files.writeString(out.resolve("curves-sessions.md"), md.toString(), StandardCharsets.UTF_8);
        chart("Sessions: leader CPU above idle", "ms of CPU per s", points, Point::leaderCpuMsPerSec, "curves-sessions-cpu");
        chart("Sessions: removal after the client's death (TTL " + TTL_SECONDS + " s), p99", "ms", points, Point::expiryP99Ms,
                "curves-sessions-expiry");
    }

    private static String num(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%,." + decimals + "f", v) : "–";
    }

    private void chart(String title, String yTitle, List<Point> points, ToDoubleFunction<Point> y, String name) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("sessions (log)").yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisLogarithmic(true);
        Map<String, List<Point>> bySystem = new LinkedHashMap<>();
        points.stream().filter(p -> p.error() == null).forEach(p -> bySystem.computeIfAbsent(p.system(), k -> new ArrayList<>()).add(p));
        for (Map.Entry<String, List<Point>> e : bySystem.entrySet()) {
            chart.addSeries(e.getKey(), e.getValue().stream().mapToDouble(Point::sessions).toArray(),
                    e.getValue().stream().mapToDouble(y).map(v -> Double.isFinite(v) ? v : 0).toArray());
        }
        BitmapEncoder.saveBitmap(chart, out.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
