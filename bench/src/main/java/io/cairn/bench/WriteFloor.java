package io.cairn.bench;

import io.cairn.net.WriteTrace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * Where one client's write spends its time, beside the floor this machine sets: a loopback round
 * trip (client to leader and back; leader to follower and back) plus one fdatasync of a 4 KiB
 * append (the leader's and the follower's run in parallel). The parts come from the members'
 * own histograms (request, commit, WAL sync; their sums over counts, before and after the
 * window), so the breakdown is of the same writes the client timed.
 */
final class WriteFloor {
    private static final Pattern SAMPLE = Pattern.compile("^(cairn_[a-z_]+?)(?:\\{([^}]*)\\})? ([0-9.eE+-]+)$");

    private WriteFloor() {
    }

    record Figures(double mean, double p50, double p99) {
        Map<String, Object> json() {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("meanMs", round(mean));
            o.put("p50Ms", round(p50));
            o.put("p99Ms", round(p99));
            return o;
        }
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }

    private static Figures figures(Histogram h) {
        return new Figures(h.getMean() / 1e6, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6);
    }

    /** fdatasync after each 4 KiB append to a file in {@code dir} (the members' disk). */
    static Figures fdatasync(Path dir, int times) throws IOException {
        Path f = Files.createTempFile(dir, "floor", ".log");
        Histogram h = new Histogram(3);
        ByteBuffer block = ByteBuffer.allocateDirect(4096);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            for (int i = 0; i < times + 100; i++) {
                block.clear();
                long t0 = System.nanoTime();
                ch.write(block);
                ch.force(false);
                if (i >= 100) {
                    h.recordValue(System.nanoTime() - t0);
                }
            }
        } finally {
            Files.deleteIfExists(f);
        }
        return figures(h);
    }

    /** A 64-byte ping-pong over a loopback TCP connection with Nagle off, as the members' links run. */
    static Figures loopbackRoundTrip(int times) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread echo = new Thread(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    s.setTcpNoDelay(true);
                    byte[] b = new byte[64];
                    while (in.readNBytes(b, 0, 64) == 64) {
                        out.write(b);
                    }
                } catch (IOException ignored) {
                    // the client closed
                }
            }, "floor-echo");
            echo.setDaemon(true);
            echo.start();
            Histogram h = new Histogram(3);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                s.setTcpNoDelay(true);
                byte[] b = new byte[64];
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (int i = 0; i < times + 1000; i++) {
                    long t0 = System.nanoTime();
                    out.write(b);
                    if (in.readNBytes(b, 0, 64) != 64) {
                        throw new IOException("the echo closed");
                    }
                    if (i >= 1000) {
                        h.recordValue(System.nanoTime() - t0);
                    }
                }
            }
            return figures(h);
        }
    }

    /** A member's /metrics, as text. */
    static String metrics(HttpClient http, int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Sums and counts of a member's histograms, by "name{labels}". */
    static Map<String, Double> sums(String metrics) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : metrics.split("\n")) {
            Matcher m = SAMPLE.matcher(line.trim());
            if (m.matches() && (m.group(1).endsWith("_sum") || m.group(1).endsWith("_count"))) {
                out.put(m.group(1) + (m.group(2) == null ? "" : "{" + m.group(2) + "}"), Double.parseDouble(m.group(3)));
            }
        }
        return out;
    }

    /** The mean in ms of histogram {@code name} (with {@code labels}, like {verb="SET"}, or "") between two scrapes; NaN if none. */
    static double meanMs(Map<String, Double> before, Map<String, Double> after, String name, String labels) {
        double sum = after.getOrDefault(name + "_sum" + labels, 0.0) - before.getOrDefault(name + "_sum" + labels, 0.0);
        double count = after.getOrDefault(name + "_count" + labels, 0.0) - before.getOrDefault(name + "_count" + labels, 0.0);
        return count <= 0 ? Double.NaN : sum / count * 1000;
    }

    /**
     * One client writing to the leader directly for {@code window}, with the floor measured just
     * before; the result as Markdown and JSON-ready map.
     */
    static Map<String, Object> run(CairnServers g, Settings settings, Duration window, Duration gap, Path traces) throws Exception {
        Figures fsync = fdatasync(g.base, 2000);
        Figures rtt = loopbackRoundTrip(20_000);
        int leader = g.leaderIndex();
        HttpClient http = HttpClient.newHttpClient();
        byte[] value = new byte[settings.valueBytes()];
        Histogram client = new Histogram(3);
        Map<Integer, Map<String, Double>> before = new LinkedHashMap<>();
        Map<Integer, Map<String, Double>> after = new LinkedHashMap<>();
        Warmed warmed;
        double[] compiledBefore;
        try (StoreClient c = g.client(List.of(leader))) {
            long min = Math.max(settings.warmup().toNanos(), MIN_WARMUP.toNanos());
            warmed = warmUp(min, SETTLE_SLICE.toNanos(), Math.max(min, MAX_WARMUP.toNanos()),
                    SETTLED_COMPILE_SHARE * Runtime.getRuntime().availableProcessors() * SETTLE_SLICE.toSeconds(),
                    () -> c.put("/bench/floor", value), () -> read(g, http, new LinkedHashMap<>()));
            compiledBefore = read(g, http, before);
            WriteTrace.start();
            long end = System.nanoTime() + window.toNanos();
            long n = 0;
            while (System.nanoTime() < end && n < 10_000_000) {
                long t0 = System.nanoTime();
                WriteTrace.mark(WriteTrace.Stage.CALL);
                c.put("/bench/floor", value);
                WriteTrace.mark(WriteTrace.Stage.RETURNED);
                client.recordValue(System.nanoTime() - t0);
                n++;
                if (!gap.isZero()) {
                    Thread.sleep(gap.toMillis()); // the members go quiet, as between the watch step's writes
                }
            }
            WriteTrace.stopAndWrite(traces.resolve(CLIENT_TRACE));
            double[] compiledAfter = read(g, http, after);
            double[] during = new double[compiledAfter.length];
            for (int i = 0; i < during.length; i++) {
                during[i] = compiledAfter[i] - compiledBefore[i];
            }
            warmed = warmed.withDuringWindow(during);
        }
        Figures cl = figures(client);
        double request = meanMs(before.get(leader), after.get(leader), "cairn_request_duration_seconds", "{verb=\"SET\"}");
        double commit = meanMs(before.get(leader), after.get(leader), "cairn_commit_duration_seconds", "");
        double leaderSync = meanMs(before.get(leader), after.get(leader), "cairn_wal_sync_duration_seconds", "");
        double followerSync = Double.NaN;
        for (int i = 0; i < ServerGroup.MEMBERS; i++) {
            if (i != leader) {
                double s = meanMs(before.get(i), after.get(i), "cairn_wal_sync_duration_seconds", "");
                followerSync = Double.isNaN(followerSync) ? s : Math.min(followerSync, s);
            }
        }
        double floor = 2 * rtt.mean() + fsync.mean();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("fdatasync4KiB", fsync.json());
        out.put("loopbackRoundTrip", rtt.json());
        out.put("floorMs", round(floor));
        out.put("writes", client.getTotalCount());
        out.put("gapMs", gap.toMillis());
        out.put("clientObserved", cl.json());
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("clientAndNetworkMs", round(cl.mean() - request));
        parts.put("leaderRequestMs", round(request));
        parts.put("leaderOutsideCommitMs", round(request - commit));
        parts.put("proposalToCommitAndApplyMs", round(commit));
        parts.put("leaderWalSyncMs", round(leaderSync));
        parts.put("fastestFollowerWalSyncMs", round(followerSync));
        parts.put("replicationBeyondFollowerSyncMs", round(commit - followerSync));
        out.put("parts", parts);
        out.put("meanOverFloor", round(cl.mean() / floor));
        out.put("p99OverFloor", round(cl.p99() / floor));
        out.put("warmUp", warmed.json());
        return out;
    }

    /** The least warm-up, whatever the JIT does: the full run's warm-up rounds come before its x1 step too. */
    static final Duration MIN_WARMUP = Duration.ofSeconds(15);
    /** After the least warm-up, writes go on in slices of this until the JIT has settled. */
    static final Duration SETTLE_SLICE = Duration.ofSeconds(5);
    /**
     * Settled: the members' and the client's compilers together ran for less than this share of
     * the machine's cores over a slice. They never stop altogether: a member's compiled about
     * 20-50 ms a second from its 30th second on (a later tier, a scrape's formatting code), where
     * in its first 30 s it compiled for 13 s, on a machine of two cores.
     */
    static final double SETTLED_COMPILE_SHARE = 0.05;
    /** The longest warm-up, settled or not. */
    static final Duration MAX_WARMUP = Duration.ofSeconds(90);

    /**
     * How the warm-up went: its length, whether the JIT settled, and (once the window is over)
     * how long each process's compilers ran during the window: the members', then the client's.
     */
    record Warmed(double seconds, boolean settled, double lastSliceCompileSeconds, double[] duringWindow) {
        Warmed withDuringWindow(double[] d) {
            return new Warmed(seconds, settled, lastSliceCompileSeconds, d);
        }

        Map<String, Object> json() {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("seconds", Math.round(seconds * 10) / 10.0);
            o.put("jitSettled", settled);
            o.put("lastSliceCompileMs", Math.round(lastSliceCompileSeconds * 1000));
            List<Long> ms = new ArrayList<>();
            for (double d : duringWindow == null ? new double[0] : duringWindow) {
                ms.add(Math.round(d * 1000));
            }
            o.put("windowCompileMs", ms);
            return o;
        }
    }

    /**
     * Writes for at least {@code minNanos}, then on in slices of {@code sliceNanos} until the
     * compilers whose times {@code compiled} gives ran for less than {@code settledSeconds} in
     * all over a slice, at most {@code maxNanos}. A fixed 15 s was not enough at one client: the
     * window began about 20 s into the members' lives, when each one's compilers still ran a
     * quarter of a core (C2 on the channel's write, the epoll loop, the request dispatch), and the
     * first scrape of /metrics, made as the window began, had each member compile its exposition
     * code then too. Each slice's reading of the compile times is such a scrape ({@link #read}).
     */
    static Warmed warmUp(long minNanos, long sliceNanos, long maxNanos, double settledSeconds, ThrowingRunnable write,
            CompileTimes compiled) throws Exception {
        long start = System.nanoTime();
        long min = start + minNanos;
        long max = start + maxNanos;
        double[] last = null;
        double grew = Double.NaN;
        while (true) {
            long now = System.nanoTime();
            long sliceEnd = now < min ? min : now + sliceNanos;
            do {
                write.run();
            } while (System.nanoTime() < sliceEnd);
            double[] c = compiled.seconds();
            if (last != null) {
                grew = 0;
                for (int i = 0; i < c.length; i++) {
                    grew += c[i] - last[i];
                }
                if (grew < settledSeconds) {
                    return new Warmed((System.nanoTime() - start) / 1e9, true, grew, null);
                }
            }
            last = c;
            if (System.nanoTime() >= max) {
                return new Warmed((System.nanoTime() - start) / 1e9, false, grew, null);
            }
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Seconds each process's JIT compilers have run so far. */
    interface CompileTimes {
        double[] seconds() throws Exception;
    }

    /**
     * Reads every member's /metrics once: the sums and counts of its histograms into {@code sums},
     * by member, and the seconds its JIT compilers have run; then gives those seconds, and this
     * process's last. The warm-up reads them as the window's start and end do, so that the code
     * of both sides is compiled before the window.
     */
    static double[] read(CairnServers g, HttpClient http, Map<Integer, Map<String, Double>> sums) throws Exception {
        double[] out = new double[ServerGroup.MEMBERS + 1];
        for (int i = 0; i < ServerGroup.MEMBERS; i++) {
            String text = metrics(http, g.members.get(i).extraPort);
            sums.put(i, sums(text));
            Matcher m = COMPILE_TIME.matcher(text);
            if (!m.find()) {
                throw new IOException("member " + (i + 1) + "'s /metrics has no jvm_compilation_time_seconds_total");
            }
            out[i] = Double.parseDouble(m.group(1));
        }
        out[ServerGroup.MEMBERS] = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() / 1000.0;
        return out;
    }

    private static final Pattern COMPILE_TIME = Pattern.compile("(?m)^jvm_compilation_time_seconds_total ([0-9.eE+-]+)$");

    static final String CLIENT_TRACE = "client.trace";

    /** The JVM flag that has member N write its marks into {@code traces}, as member-N.PID. */
    static String memberTraceFlag(Path traces) {
        return "-Dcairn.trace=" + traces.resolve("member-{member}");
    }

    private static void hopRows(StringBuilder b, Object rows, boolean longest) {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> list = (List<Map<String, Object>>) rows;
        for (Map<String, Object> h : list) {
            // A run from before the slowest writes were followed has no such column: a dash.
            Object slow = h.get("slowMeanUs");
            Object most = h.get("slowLongest");
            b.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %s |%s%n", h.get("where"), h.get("what"),
                    ((Number) h.get("p50Us")).doubleValue(), ((Number) h.get("meanUs")).doubleValue(),
                    slow instanceof Number n ? String.format(Locale.ROOT, "%.1f", n.doubleValue()) : "–",
                    longest ? " " + (most instanceof Number m ? m.toString() : "–") + " |" : ""));
        }
    }

    /**
     * Cuts the measured writes into hops from the marks the client and the members wrote into
     * {@code traces} (the members write theirs as they stop).
     */
    static Map<String, Object> hops(Path traces) throws IOException {
        List<WriteTrace.Mark> client = WriteTrace.read(traces.resolve(CLIENT_TRACE));
        List<List<WriteTrace.Mark>> members = new ArrayList<>();
        for (int i = 1; i <= ServerGroup.MEMBERS; i++) {
            int member = i;
            String prefix = "member-" + member + ".";
            try (Stream<Path> files = Files.list(traces)) {
                Path f = files.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst()
                        .orElseThrow(() -> new IOException("member " + member + " wrote no trace into " + traces
                                + " (stopped without its shutdown hook?)"));
                members.add(WriteTrace.read(f));
            }
        }
        return new WriteTimeline(client, members).json();
    }

    private static String slowWrites(Map<String, Object> hops) {
        Object n = hops.get("slowWrites");
        Object from = hops.get("slowFromUs");
        return n instanceof Number && from instanceof Number f
                ? String.format(Locale.ROOT, " (%s writes of %.0f µs or more)", n, f.doubleValue()) : "";
    }

    static String markdown(Map<String, Object> r) {
        @SuppressWarnings("unchecked")
        Map<String, Object> parts = (Map<String, Object>) r.get("parts");
        @SuppressWarnings("unchecked")
        Map<String, Object> cl = (Map<String, Object>) r.get("clientObserved");
        @SuppressWarnings("unchecked")
        Map<String, Object> fs = (Map<String, Object>) r.get("fdatasync4KiB");
        @SuppressWarnings("unchecked")
        Map<String, Object> rtt = (Map<String, Object>) r.get("loopbackRoundTrip");
        StringBuilder b = new StringBuilder("## One client's write against the floor\n\n");
        b.append(String.format(Locale.ROOT, "- floor: %.3f ms = 2 loopback round trips (%.3f ms mean, p50 %.3f) + one fdatasync of a 4 KiB"
                + " append (%.3f ms mean, p50 %.3f; the leader's and a follower's run in parallel)%n", r.get("floorMs"), rtt.get("meanMs"),
                rtt.get("p50Ms"), fs.get("meanMs"), fs.get("p50Ms")));
        long gapMs = ((Number) r.getOrDefault("gapMs", 0L)).longValue();
        b.append(String.format(Locale.ROOT, "- %s writes, one client on the leader%s: mean %.3f ms, p50 %.3f, p99 %.3f; mean %.2f× the floor,"
                + " p99 %.2f× (goals: 1.5× and 4×)%n", r.get("writes"), gapMs > 0 ? ", one every " + gapMs + " ms" : "",
                cl.get("meanMs"), cl.get("p50Ms"), cl.get("p99Ms"),
                r.get("meanOverFloor"), r.get("p99OverFloor")));
        @SuppressWarnings("unchecked")
        Map<String, Object> warm = (Map<String, Object>) r.get("warmUp");
        if (warm != null) {
            b.append(String.format(Locale.ROOT, "- warm-up: %s s of writes, %s; during the window the compilers ran %s ms"
                    + " (members 1-3, then the client)%n%n", warm.get("seconds"), Boolean.TRUE.equals(warm.get("jitSettled"))
                            ? "until the members' and the client's JIT compilers ran for under " + Math.round(SETTLED_COMPILE_SHARE * 100)
                                    + "% of the cores over " + SETTLE_SLICE.toSeconds() + " s (" + warm.get("lastSliceCompileMs") + " ms)"
                            : "the JIT still compiling at its end (" + warm.get("lastSliceCompileMs") + " ms in the last "
                                    + SETTLE_SLICE.toSeconds() + " s)", warm.get("windowCompileMs")));
        } else {
            b.append('\n');
        }
        b.append("| part (means, ms) | time |\n|---|---|\n");
        String[][] rows = {
            {"client library and the two loopback hops (client-observed mean less the leader's request time)", "clientAndNetworkMs"},
            {"the leader, from request to answer", "leaderRequestMs"},
            {"  of which outside proposal-to-apply (decode, encode, queueing on the loop)", "leaderOutsideCommitMs"},
            {"  of which proposal to commit and apply", "proposalToCommitAndApplyMs"},
            {"    the leader's WAL write and fdatasync (in parallel with the follower's)", "leaderWalSyncMs"},
            {"    the faster follower's WAL write and fdatasync", "fastestFollowerWalSyncMs"},
            {"    the rest: the round trip to that follower, its handling, the apply", "replicationBeyondFollowerSyncMs"},
        };
        for (String[] row : rows) {
            b.append("| ").append(row[0]).append(" | ").append(String.format(Locale.ROOT, "%.3f", ((Number) parts.get(row[1])).doubleValue()))
                    .append(" |\n");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> hops = (Map<String, Object>) r.get("hops");
        if (hops != null) {
            b.append("\n## Hop by hop\n\nFrom the marks the client and the members made (`WriteTrace`, one monotonic clock"
                    + " for all processes) on ").append(hops.get("writes")).append(" of the writes; each hop runs from the"
                    + " row above. The follower is the one whose accepted left first. The last two columns follow the"
                    + " slowest 1% of those writes by call-to-return time").append(slowWrites(hops)).append(": each hop's mean over"
                    + " them, and in how many of them it was the longest hop of the path; that is where the p99 goes.\n\n");
            b.append("| where | from the row above | p50 µs | mean µs | mean µs, slowest 1% | the longest in, of the slowest |\n"
                    + "|---|---|---|---|---|---|\n");
            hopRows(b, hops.get("path"), true);
            b.append("\nBeside it, the leader's own log, from its accepts written:\n\n");
            b.append("| where | from the accepts written | p50 µs | mean µs | mean µs, slowest 1% |\n|---|---|---|---|---|\n");
            hopRows(b, hops.get("leaderDiskFromAcceptsWritten"), false);
        }
        return b.toString();
    }
}
