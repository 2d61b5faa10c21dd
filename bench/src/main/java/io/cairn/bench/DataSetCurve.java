package io.cairn.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * The cost of the data set's size (issue 21, item 4): a fresh three-member cluster per point is
 * loaded with N keys of 1 KiB (so a million keys is a GiB of values), in 1,000 directories, and
 * then asked what the size costs: resident memory per key, a full copy through the system's own
 * snapshot API, a follower's restart (SIGKILL, then the same command) until it answers a read of
 * the last key from its own copy, and an empty member's catch-up until it does the same.
 */
final class DataSetCurve {
    static final int VALUE_BYTES = 1024;
    private static final int DIRS = 1000;
    private static final int IN_FLIGHT = 256;

    /**
     * Waits for a window of writes (keys {@code first}, {@code first + 1}, ...); a write that
     * failed, refused as not applied while the leader changed or cut off with its connection, is
     * written again as a plain set of the same value, which is the same whether or not the first
     * one was applied after all. Gives how many were written again.
     */
    static int awaitOrRewrite(StoreClient c, List<CompletableFuture<?>> window, int first, byte[] value) throws Exception {
        int retried = 0;
        for (int k = 0; k < window.size(); k++) {
            try {
                window.get(k).get(60, TimeUnit.SECONDS);
            } catch (ExecutionException refused) {
                retried++;
                rewrite(c, key(first + k), value, refused.getCause());
            }
        }
        return retried;
    }

    private static void rewrite(StoreClient c, String key, byte[] value, Throwable first) throws Exception {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Throwable last = first;
        while (System.nanoTime() < giveUp) {
            try {
                c.put(key, value);
                return;
            } catch (Exception e) {
                last = e;
                Thread.sleep(200); // a new leader is being elected
            }
        }
        throw new IllegalStateException("the load could not write " + key + " within 60 s: " + last.getMessage(), last);
    }

    record Point(String system, long keys, double loadPerSec, double rssBytesPerKey, double snapshotMs, long snapshotBytes,
                 String snapshotHow, double restartMs, double catchUpMs, String error) {
        Map<String, Object> json() {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("system", system);
            o.put("keys", keys);
            o.put("loadWritesPerSec", CurvePoints.round(loadPerSec));
            o.put("rssBytesPerKeyPerMember", CurvePoints.round(rssBytesPerKey));
            o.put("snapshotMs", CurvePoints.round(snapshotMs));
            o.put("snapshotBytes", snapshotBytes);
            o.put("snapshotHow", snapshotHow);
            o.put("restartToReadyMs", CurvePoints.round(restartMs));
            o.put("catchUpMs", CurvePoints.round(catchUpMs));
            if (error != null) {
                o.put("error", error);
            }
            return o;
        }
    }

    private static Point parse(Map<String, Object> o) {
        return new Point(CurvePoints.str(o, "system"), (long) CurvePoints.num(o, "keys"), CurvePoints.num(o, "loadWritesPerSec"),
                CurvePoints.num(o, "rssBytesPerKeyPerMember"), CurvePoints.num(o, "snapshotMs"), (long) CurvePoints.num(o, "snapshotBytes"),
                CurvePoints.str(o, "snapshotHow"), CurvePoints.num(o, "restartToReadyMs"), CurvePoints.num(o, "catchUpMs"),
                CurvePoints.str(o, "error"));
    }

    private final Path out;

    DataSetCurve(Path out) {
        this.out = out;
    }

    List<Point> run(List<String> systems, List<Integer> sizes, Curves.Groups groups) throws Exception {
        List<Point> points = CurvePoints.measureEach(systems, sizes, groups, this::measure,
                (system, n, e) -> new Point(system, n, Double.NaN, Double.NaN, Double.NaN, 0, null, Double.NaN, Double.NaN, e.toString()), DataSetCurve::print);
        points = CurvePoints.withOthersFrom(out.resolve("curves-data.json"), points, Point::system, Point::keys, DataSetCurve::parse);
        write(points);
        return points;
    }

    private static void print(Point p) {
        System.out.printf(Locale.ROOT, "%-9s %,9d keys: load %,7.0f/s, RSS %,6.0f B/key a member, snapshot %s ms %s B,"
                        + " restart to ready %,.0f ms, catch-up %,.0f ms%s%n", p.system(), p.keys(), p.loadPerSec(), p.rssBytesPerKey(),
                Double.isNaN(p.snapshotMs()) ? "–" : String.format(Locale.ROOT, "%,.0f", p.snapshotMs()),
                String.format(Locale.ROOT, "%,d", p.snapshotBytes()), p.restartMs(), p.catchUpMs(),
                p.error() == null ? "" : " (" + p.error() + ")");
    }

    private Point measure(String system, int n, ServerGroup g) throws Exception {
        int leader = g.awaitLeader(java.time.Duration.ofSeconds(60));
        byte[] value = new byte[VALUE_BYTES];
        ThreadLocalRandom.current().nextBytes(value);
        long before = Curves.rss(g);
        double loadPerSec;
        String lastKey = key(n - 1);
        try (StoreClient c = g.client(leader)) {
            Curves.firstWrite(c, "/bench/data/d0");
            for (int d = 1; d < Math.min(n, DIRS); d++) {
                c.ensureParent("/bench/data/d" + d);
            }
            List<CompletableFuture<?>> inFlight = new ArrayList<>();
            int retried = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                inFlight.add(c.createAsync(key(i), value));
                if (inFlight.size() >= IN_FLIGHT || i == n - 1) {
                    retried += awaitOrRewrite(c, inFlight, i - inFlight.size() + 1, value);
                    inFlight.clear();
                }
            }
            loadPerSec = n / ((System.nanoTime() - t0) / 1e9);
            if (retried > 0) {
                System.out.printf(Locale.ROOT, "%-9s %,9d keys: %,d writes refused during the load (a leader change, say) were written again%n",
                        system, n, retried);
            }
        }
        Thread.sleep(2000); // the followers apply the last writes, allocation settles
        double rssPerKey = (double) (Curves.rss(g) - before) / n / ServerGroup.MEMBERS;

        // Restart: a follower killed outright and started again with its command and data.
        int follower = (g.leaderIndex() + 1) % ServerGroup.MEMBERS;
        ServerGroup.Member f = g.members.get(follower);
        g.kill(f);
        long t0 = System.nanoTime();
        g.launch(f);
        double restartMs = untilServed(g, follower, lastKey, value, t0);

        // Catch-up: an empty member (a different follower for ZooKeeper, which wipes one).
        int other = (follower + 1) % ServerGroup.MEMBERS == g.leaderIndex() ? (follower + 2) % ServerGroup.MEMBERS
                : (follower + 1) % ServerGroup.MEMBERS;
        // Timed from the empty member's start: etcd may first refuse its member add for a few seconds
        // (until the restarted follower counts as healthy), which is not the catch-up's cost.
        double catchUpMs = Double.NaN;
        String failed = null;
        try {
            int empty = g.startEmptyMember(other);
            catchUpMs = untilServed(g, empty, lastKey, value, g.members.get(empty).launchedAt);
        } catch (Exception e) {
            // A catch-up that fails is a finding of its own; what was measured before it stands.
            failed = "catch-up: " + e.getMessage();
        }
        // Last, so that ZooKeeper, which has no snapshot API, has written one in the catch-up.
        // A snapshot that fails (a cluster the failed catch-up left without a steady leader) is
        // recorded too, and the load and restart figures stand.
        ServerGroup.SnapshotTaken snap;
        try {
            snap = g.snapshot();
        } catch (Exception e) {
            snap = new ServerGroup.SnapshotTaken(Double.NaN, 0, null);
            failed = (failed == null ? "" : failed + "; ") + "snapshot: " + e.getMessage();
        }
        return new Point(system, n, loadPerSec, rssPerKey, snap.ms(), snap.bytes(), snap.how(), restartMs, catchUpMs, failed);
    }

    static String key(int i) {
        return "/bench/data/d" + (i % DIRS) + "/k" + i;
    }

    /**
     * Milliseconds from {@code t0} until member {@code index} answers a serializable read of
     * {@code key} with {@code value} from its own copy: a read that any client of that member
     * could make, so the member is ready. Polled every 20 ms, for at most 3 minutes (etcd's member
     * catches up on a GiB in seconds).
     */
    private static double untilServed(ServerGroup g, int index, String key, byte[] value, long t0) throws Exception {
        ServerGroup.Member m = g.members.get(index);
        long end = t0 + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < end) {
            if (!m.alive()) {
                throw new IllegalStateException(g.name() + " member " + (index + 1) + " exited; its log ends: " + tail(m.log));
            }
            if (accepts(m.clientPort)) {
                try (StoreClient c = g.client(List.of(index))) {
                    while (System.nanoTime() < end) {
                        byte[] got = c.get(key, false);
                        if (Arrays.equals(got, value)) {
                            return (System.nanoTime() - t0) / 1e6;
                        }
                        Thread.sleep(20);
                    }
                } catch (Exception notYet) {
                    // not serving yet (refused, not a member yet, still loading): ask again
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException(g.name() + " member " + (index + 1) + " did not serve " + key
                + " within 3 minutes; its log ends: " + tail(m.log));
    }

    /** The last lines of a member's log (the run deletes it), for the reason a point failed. */
    private static String tail(java.nio.file.Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            // The first line naming an error says why; a stack trace's last lines say only where.
            int at = 0;
            while (at < lines.size() && !(lines.get(at).contains("Exception") || lines.get(at).contains("Error")
                    || lines.get(at).contains("ERROR"))) {
                at++;
            }
            String why = at == lines.size() ? "" : String.join(" | ", lines.subList(at, Math.min(lines.size(), at + 8))) + " ... ";
            return why + String.join(" | ", lines.subList(Math.max(0, lines.size() - 2), lines.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void write(List<Point> points) throws IOException {
        Files.createDirectories(out);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("title", "Data set size");
        json.put("settings", Map.of("valueBytes", VALUE_BYTES, "directories", DIRS, "writesInFlight", IN_FLIGHT));
        json.put("points", points.stream().map(Point::json).toList());
        Report.writeJson(out.resolve("curves-data.json"), json);
        StringBuilder md = new StringBuilder("# Data set size\n\nKeys of " + VALUE_BYTES + " B in " + DIRS + " directories, loaded with "
                + IN_FLIGHT + " writes in flight into a fresh three-member cluster per point.\n\n"
                + "| system | keys | load writes/s | RSS B/key a member | snapshot ms | snapshot MiB | restart to ready ms | catch-up ms |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        for (Point p : points) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %s | %s | %s | %s | %s | %s |%n", p.system(), p.keys(), num(p.loadPerSec()),
                    num(p.rssBytesPerKey()), num(p.snapshotMs()), p.snapshotBytes() == 0 ? "–" : String.format(Locale.ROOT, "%.1f",
                            p.snapshotBytes() / 1048576.0), num(p.restartMs()), num(p.catchUpMs())));
        }
        md.append("\nSnapshot: ");
        points.stream().filter(p -> p.snapshotHow() != null).map(p -> p.system() + ": " + p.snapshotHow()).distinct()
                .forEach(s -> md.append(s).append("; "));
        md.append("\n");
        for (Point p : points) {
            if (p.error() != null) {
                md.append("\n- ").append(p.system()).append(" at ").append(String.format(Locale.ROOT, "%,d", p.keys()))
                        .append(" keys: ").append(p.error());
            }
        }
        md.append("\n\n![memory](curves-data-memory.png) ![snapshot](curves-data-snapshot.png) ![restart](curves-data-restart.png)"
                + " ![catch-up](curves-data-catchup.png)\n");
        Files.writeString(out.resolve("curves-data.md"), md.toString(), StandardCharsets.UTF_8);
        chart("Data set: resident memory per key (a member)", "bytes per key", points, Point::rssBytesPerKey, "curves-data-memory");
        chart("Data set: snapshot size", "MiB", points, p -> p.snapshotBytes() / 1048576.0, "curves-data-snapshot");
        chart("Data set: a follower's restart to ready", "ms", points, Point::restartMs, "curves-data-restart");
        chart("Data set: an empty member's catch-up", "ms", points, Point::catchUpMs, "curves-data-catchup");
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%,.0f", v) : "–";
    }

    private void chart(String title, String yTitle, List<Point> points, ToDoubleFunction<Point> y, String name) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("keys (log)").yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisLogarithmic(true);
        Map<String, List<Point>> bySystem = new LinkedHashMap<>();
        // A point without this measure (not measured, or not possible) is left out of its line, not drawn as 0.
        points.stream().filter(p -> Double.isFinite(y.applyAsDouble(p)) && y.applyAsDouble(p) > 0)
                .forEach(p -> bySystem.computeIfAbsent(p.system(), k -> new ArrayList<>()).add(p));
        for (Map.Entry<String, List<Point>> e : bySystem.entrySet()) {
            chart.addSeries(e.getKey(), e.getValue().stream().mapToDouble(Point::keys).toArray(),
                    e.getValue().stream().mapToDouble(y).toArray());
        }
        BitmapEncoder.saveBitmap(chart, out.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
