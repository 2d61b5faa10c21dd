package io.cairn.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;

/**
 * The workloads, written once against {@link StoreClient} so that every system gets exactly the
 * same load: the same number of worker threads and client connections, value size, warm-up and
 * measuring window. Workers run closed loops (one request outstanding each).
 */
final class Workloads {
    /** Client connections shared by the workers of a closed-loop workload (spread over members). */
    static final int MAX_CONNECTIONS = 8;
    private static final long MAX_OPS_PER_WORKER = 10_000_000;
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(120);

    private final ServerGroup group;
    private final Settings settings;
    private final byte[] value;

    Workloads(ServerGroup group, Settings settings) {
        this.group = group;
        this.settings = settings;
        this.value = new byte[settings.valueBytes()];
        Arrays.fill(value, (byte) 'v');
    }

    /**
     * A write made before timing starts, retried for up to ten seconds: a cluster just started
     * may still be settling its first election, and that is not what is measured.
     */
    private void setup(StoreClient c, String key) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                c.put(key, value);
                return;
            } catch (Exception e) {
                if (attempt >= 100) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    interface Op {
        void run(StoreClient client, int worker, long n) throws Exception;
    }

    Measurement writes(int clients) throws Exception {
        try (StoreClient c = group.client(0)) {
            for (int w = 0; w < clients; w++) {
                setup(c, "/bench/write/w" + w);
            }
        }
        return closedLoop("write", clients, (c, w, n) -> c.put("/bench/write/w" + w, value));
    }

    Measurement reads(boolean linearizable) throws Exception {
        int keys = 100;
        try (StoreClient c = group.client(0)) {
            for (int k = 0; k < keys; k++) {
                setup(c, "/bench/read/k" + k);
            }
        }
        return closedLoop(linearizable ? "read-linearizable" : "read-serializable", settings.readClients(),
                (c, w, n) -> {
                    if (c.get("/bench/read/k" + ThreadLocalRandom.current().nextInt(keys), linearizable) == null) {
                        throw new IllegalStateException("a key written before the run is missing");
                    }
                });
    }

    Measurement churn() throws Exception {
        return closedLoop("ephemeral-churn", settings.churnClients(),
                (c, w, n) -> c.registerAndLeave("/bench/presence/w" + w + "-" + n, value));
    }

    private Measurement closedLoop(String name, int workers, Op op) throws Exception {
        int connections = Math.min(workers, MAX_CONNECTIONS);
        List<StoreClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                clients.add(group.client(i % ServerGroup.MEMBERS));
            }
            Histogram[] latencies = new Histogram[workers];
            long[] counts = new long[workers];
            AtomicLong errors = new AtomicLong();
            // 0: warming up, 1: measuring, 2: stop
            AtomicLong phase = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                StoreClient client = clients.get(w % connections);
                latencies[w] = new Histogram(HIGHEST_NANOS, 3);
                threads.add(new Thread(() -> {
                    for (long n = 0; n < MAX_OPS_PER_WORKER; n++) {
                        long p = phase.get();
                        if (p == 2) {
                            break;
                        }
                        long start = System.nanoTime();
                        try {
                            op.run(client, worker, n);
                            if (p == 1) {
                                latencies[worker].recordValue(Math.min(System.nanoTime() - start, HIGHEST_NANOS));
                                counts[worker]++;
                            }
                        } catch (Exception e) {
                            if (p == 1) {
                                errors.incrementAndGet();
                            }
                            noteError(name, e);
                            pause(1);
                        }
                    }
                }, "bench-" + name + "-" + w));
            }
            threads.forEach(Thread::start);
            Thread.sleep(settings.warmup().toMillis());
            phase.set(1);
            long began = System.nanoTime();
            Thread.sleep(settings.measure().toMillis());
            phase.set(2);
            double seconds = (System.nanoTime() - began) / 1e9;
            for (Thread t : threads) {
                t.join();
            }
            Histogram all = new Histogram(HIGHEST_NANOS, 3);
            for (Histogram h : latencies) {
                all.add(h);
            }
            long total = Arrays.stream(counts).sum();
            return measurement(name, workers, total / seconds, all, total, errors.get());
        } finally {
            for (StoreClient c : clients) {
                c.close();
            }
        }
    }

    /**
     * {@code watchers} watches on one prefix, spread over a few connections; then one write at a
     * time, and the time from sending each write to each watcher being told of it.
     */
    Measurement watchFanout() throws Exception {
        return watchFanout(settings.watchers(), () -> { });
    }

    /**
     * As {@link #watchFanout()} with {@code watchers} watches; {@code registered} runs once all
     * are set up. The first writes (the step's warm-up, {@link #warmEvents}) are delivered and
     * recorded like the others but not counted: without them each system's first round ran its
     * client's delivery code and the recording cold, and measured the JIT compiler.
     */
    Measurement watchFanout(int watchers, Runnable registered) throws Exception {
        int warm = warmEvents(settings);
        int events = warm + settings.watchEvents();
        String prefix = "/bench/watch";
        long[] sent = new long[events + 1];
        long[] answered = new long[events + 1];
        List<StoreClient> clients = new ArrayList<>();
        List<AutoCloseable> watches = new ArrayList<>();
        List<Watcher> all = new ArrayList<>(watchers);
        try (StoreClient writer = group.client(0)) {
            setup(writer, prefix + "/setup");
            int connections = Math.min(watchers, settings.watchConnections());
            for (int i = 0; i < connections; i++) {
                clients.add(group.client(i % ServerGroup.MEMBERS));
            }
            AtomicInteger registeredCount = new AtomicInteger();
            for (int i = 0; i < watchers; i++) {
                Watcher w = new Watcher(events, registeredCount);
                all.add(w);
                watches.add(clients.get(i % connections).watchPrefix(prefix, w::told));
            }
            // Event 0 is not measured: it proves every watch is registered before timing starts.
            // A watch still being set up when it is written never sees it (etcd's watches are
            // set up in the background), so it is written again until every watch has seen one;
            // waiting out a single one cost the whole two-minute bound.
            long registeredBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (registeredCount.get() < watchers && System.nanoTime() < registeredBy) {
                setup(writer, prefix + "/e0");
                long retry = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
                while (registeredCount.get() < watchers && System.nanoTime() < retry) {
                    Thread.sleep(10);
                }
            }
            registered.run();
            for (int e = 1; e <= events; e++) {
                sent[e] = System.nanoTime();
                writer.put(prefix + "/e" + e, value);
                answered[e] = System.nanoTime();
                Thread.sleep(settings.watchInterval().toMillis());
            }
            long expected = (long) watchers * (events - warm);
            long got = awaitDeliveries(all, warm + 1, events, expected, 30_000);
            Histogram delays = new Histogram(HIGHEST_NANOS, 3);
            for (Watcher w : all) {
                w.addDelays(sent, warm + 1, events, delays);
            }
            return measurement("watch-fanout", watchers, Double.NaN, delays, got, expected - got)
                    .withParts(watchParts(all, connections, sent, answered, warm + 1, events));
        } finally {
            for (AutoCloseable w : watches) {
                try {
                    w.close();
                } catch (Exception e) {
                    // the connection is closed next anyway
                }
            }
            for (StoreClient c : clients) {
                c.close();
            }
        }
    }

    /**
     * Where the watch step's time went, over the writes measured (ms): the write's own answer
     * (sending it to its writer having the answer); on each connection, its first watcher told
     * (the member's event and the connection's hop) and the spread from its first to its last
     * watcher told (the client handing one event to its watchers, 500 of them at 10,000 on 20).
     */
    private static Map<String, Double> watchParts(List<Watcher> watchers, int connections, long[] sent, long[] answered,
                                                  int from, int to) {
        Histogram write = new Histogram(HIGHEST_NANOS, 3);
        Histogram first = new Histogram(HIGHEST_NANOS, 3);
        Histogram spread = new Histogram(HIGHEST_NANOS, 3);
        for (int e = from; e <= to; e++) {
            record(write, answered[e] - sent[e]);
            for (int c = 0; c < connections; c++) {
                long earliest = Long.MAX_VALUE;
                long latest = Long.MIN_VALUE;
                for (int i = c; i < watchers.size(); i += connections) {
                    long at = watchers.get(i).toldAt.get(e);
                    if (at != 0) {
                        earliest = Math.min(earliest, at);
                        latest = Math.max(latest, at);
                    }
                }
                if (latest != Long.MIN_VALUE) {
                    record(first, earliest - sent[e]);
                    record(spread, latest - earliest);
                }
            }
        }
        Map<String, Double> parts = new LinkedHashMap<>();
        parts.put("writeAnsweredP50Ms", write.getValueAtPercentile(50) / 1e6);
        parts.put("writeAnsweredMaxMs", write.getMaxValue() / 1e6);
        parts.put("firstToldP50Ms", first.getValueAtPercentile(50) / 1e6);
        parts.put("firstToldMaxMs", first.getMaxValue() / 1e6);
        parts.put("spreadP50Ms", spread.getValueAtPercentile(50) / 1e6);
        parts.put("spreadMaxMs", spread.getMaxValue() / 1e6);
        return parts;
    }

    /** Records {@code nanos} into {@code h}, within the range it holds. */
    private static void record(Histogram h, long nanos) {
        h.recordValue(Math.min(Math.max(0, nanos), HIGHEST_NANOS));
    }

    /** Writes of the watch step delivered before those measured: its warm-up, one per interval. */
    static int warmEvents(Settings s) {
        return (int) Math.min(s.watchEvents(), s.warmup().toMillis() / s.watchInterval().toMillis());
    }

    /**
     * One watch of the fan-out step: when it was told of each write. Its own record, so that
     * recording a delivery touches nothing another watcher's thread writes: a JFR profile found
     * most of the delivery threads' samples in the harness's shared histogram and counters
     * (docs/benchmark.md). The step's p99 hardly moved without them: the write's own answer
     * decides it, which the step's parts now show.
     */
    static final class Watcher {
        /** By event number, the {@code System.nanoTime()} it was told at; 0 until told. */
        private final AtomicLongArray toldAt;
        private final AtomicInteger registeredCount;
        private final AtomicBoolean registered = new AtomicBoolean();
        /** The last key parsed and its number: the clients hand every watcher the same key object. */
        private volatile Parsed last = new Parsed("", -1);

        private record Parsed(String key, int event) { }

        Watcher(int events, AtomicInteger registeredCount) {
            this.toldAt = new AtomicLongArray(events + 1);
            this.registeredCount = registeredCount;
        }

        void told(String key) {
            long now = System.nanoTime();
            Parsed p = last;
            if (p.key() != key) {
                p = new Parsed(key, eventNumber(key));
                last = p;
            }
            int e = p.event();
            if (e < 0 || e >= toldAt.length()) {
                return;
            }
            if (e == 0) {
                if (registered.compareAndSet(false, true)) {
                    registeredCount.incrementAndGet();
                }
                return;
            }
            if (toldAt.get(e) == 0) {
                toldAt.lazySet(e, now);
            }
        }

        int toldOf(int from, int to) {
            int n = 0;
            for (int e = from; e <= to; e++) {
                if (toldAt.get(e) != 0) {
                    n++;
                }
            }
            return n;
        }

        void addDelays(long[] sent, int from, int to, Histogram into) {
            for (int e = from; e <= to; e++) {
                long at = toldAt.get(e);
                if (at != 0) {
                    record(into, at - sent[e]);
                }
            }
        }
    }

    private final java.util.Set<String> errorKinds = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Prints the first error of each kind, so a run with errors says what they were. */
    private void noteError(String workload, Exception e) {
        Throwable t = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        if (errorKinds.add(workload + t.getClass().getName())) {
            System.err.println("  " + group.name() + " " + workload + ": first " + t.getClass().getSimpleName() + ": "
                    + t.getMessage());
        }
    }

    private static int eventNumber(String key) {
        int at = key.lastIndexOf("/e");
        if (at < 0) {
            return -1;
        }
        try {
            return Integer.parseInt(key.substring(at + 2));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Waits until events {@code from..to} have {@code expected} deliveries in all; gives the count. */
    private static long awaitDeliveries(List<Watcher> watchers, int from, int to, long expected, long timeoutMs)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        long got = 0;
        while (System.nanoTime() < end) {
            got = 0;
            for (Watcher w : watchers) {
                got += w.toldOf(from, to);
            }
            if (got >= expected) {
                break;
            }
            Thread.sleep(10);
        }
        return got;
    }

    /**
     * Kills the leader with SIGKILL and times how long until a write sent after the kill is
     * committed. Writes go through a client of the surviving members, one every 10 ms, so the
     * figure is the election plus one commit, not a client's back-off.
     */
    Measurement failover() throws Exception {
        Histogram times = new Histogram(HIGHEST_NANOS, 3);
        long failures = 0;
        for (int trial = 0; trial < settings.failoverTrials(); trial++) {
            int leader = group.awaitLeader(java.time.Duration.ofSeconds(60));
            List<Integer> survivors = new ArrayList<>();
            for (int i = 0; i < ServerGroup.MEMBERS; i++) {
                if (i != leader) {
                    survivors.add(i);
                }
            }
            ServerGroup.Member victim = group.members.get(leader);
            try (StoreClient c = group.client(survivors)) {
                setup(c, "/bench/failover");
                group.kill(victim);
                long killed = System.nanoTime();
                AtomicLong firstCommit = new AtomicLong(Long.MAX_VALUE);
                long deadline = killed + TimeUnit.SECONDS.toNanos(60);
                List<CompletableFuture<?>> pending = new ArrayList<>();
                while (firstCommit.get() == Long.MAX_VALUE && System.nanoTime() < deadline) {
                    // No cap on writes in flight: a client may hold a write until its own
                    // timeout, and the next one must still go out 10 ms later (at most 6,000).
                    pending.removeIf(CompletableFuture::isDone);
                    CompletableFuture<?> f;
                    try {
                        f = c.putAsync("/bench/failover", value);
                    } catch (RuntimeException e) {
                        f = CompletableFuture.failedFuture(e);
                    }
                    pending.add(f.whenComplete((ok, err) -> {
                        if (err == null) {
                            long now = System.nanoTime();
                            firstCommit.accumulateAndGet(now, Math::min);
                        }
                    }));
                    Thread.sleep(10);
                }
                if (firstCommit.get() == Long.MAX_VALUE) {
                    failures++;
                } else {
                    times.recordValue(firstCommit.get() - killed);
                }
            }
            group.launch(victim);
            // The next trial starts with all three members in the cluster, then 3 s more for the
            // restarted one to catch up. A fixed 3 s alone was not always enough for its JVM to
            // start and read its log on a busy machine: the next leader was then killed with one
            // member still starting, and the trial timed that start (member logs of one 816 ms
            // trial: the restarted member ready 780 ms after the kill, the survivor's first
            // election round failing for want of it).
            if (!group.awaitAllInCluster(java.time.Duration.ofSeconds(60))) {
                throw new IllegalStateException(group.name() + ": the restarted member did not rejoin within 60 s; logs in " + group.base);
            }
            Thread.sleep(3000);
            group.awaitLeader(java.time.Duration.ofSeconds(60));
        }
        return measurement("failover", 1, Double.NaN, times, times.getTotalCount(), failures);
    }

    private static Measurement measurement(String name, int clients, double opsPerSec, Histogram h, long count,
                                           long errors) {
        boolean empty = h.getTotalCount() == 0;
        return new Measurement(name, clients, null, 1, opsPerSec,
                empty ? Double.NaN : h.getValueAtPercentile(50) / 1e6,
                empty ? Double.NaN : h.getValueAtPercentile(99) / 1e6,
                empty ? Double.NaN : h.getMaxValue() / 1e6, count, errors);
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
