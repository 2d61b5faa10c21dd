package io.cairn.testing.process;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures a three-member cluster of real processes on loopback, fsync on: write throughput and
 * latency at several client counts, and the time from killing the leader to the first write
 * (called after the kill) being acknowledged. Not a test — figures for the notes and the
 * benchmark to come. Usage: ClusterLoad [seconds-per-step] [clients ...]
 */
public final class ClusterLoad {
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int[] steps = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray() : new int[] {1, 64};
        byte[] value = new byte[256];
        Arrays.fill(value, (byte) 'x');
        try (ProcessCluster cluster = ProcessCluster.start(3)) {
            for (int clients : steps) {
                run(cluster, clients, 2, value, false);
                Result r = run(cluster, clients, seconds, value, true);
                System.out.printf("writes, %d clients: %.0f ops/s, p50 %.2f ms, p99 %.2f ms (%d ops, %d errors)%n",
                        clients, r.opsPerSecond, r.p50, r.p99, r.ops, r.errors);
            }
            for (int i = 0; i < 3; i++) {
                long ms = failover(cluster);
                System.out.printf("failover %d: leader killed -> first new write acknowledged in %d ms%n", i + 1, ms);
                Thread.sleep(3000);
            }
        }
    }

    record Result(double opsPerSecond, double p50, double p99, long ops, long errors) {}

    static Result run(ProcessCluster cluster, int clients, int seconds, byte[] value, boolean measure) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong errors = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        List<CairnClient> cs = new ArrayList<>();
        long[] counts = new long[clients];
        for (int c = 0; c < clients; c++) {
            // Spread clients over the members, as real ones would be; followers forward to the leader.
            ProcessCluster.Member m = cluster.members().get(c % cluster.members().size());
            CairnClient client = CairnClient.builder().endpoints(m.endpoint() + "," + cluster.endpoints())
                    .requestTimeout(Duration.ofSeconds(10)).build();
            cs.add(client);
            long[] lat = new long[2_000_000];
            latencies.add(lat);
            int id = c;
            Thread t = new Thread(() -> {
                int n = 0;
                while (!stop.get() && n < lat.length) {
                    long start = System.nanoTime();
                    try {
                        client.set("/bench/c" + id + "/k" + (n % 100), value, -1);
                        lat[n++] = System.nanoTime() - start;
                    } catch (CairnException e) {
                        errors.incrementAndGet();
                    }
                }
                counts[id] = n;
            });
            threads.add(t);
        }
        long began = System.nanoTime();
        threads.forEach(Thread::start);
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - began) / 1e9;
        cs.forEach(CairnClient::close);
        long total = Arrays.stream(counts).sum();
        long[] all = new long[(int) total];
        int k = 0;
        for (int c = 0; c < clients; c++) {
            System.arraycopy(latencies.get(c), 0, all, k, (int) counts[c]);
            k += counts[c];
        }
        Arrays.sort(all);
        double p50 = all.length == 0 ? 0 : all[all.length / 2] / 1e6;
        double p99 = all.length == 0 ? 0 : all[(int) Math.min(all.length - 1, Math.floor(all.length * 0.99))] / 1e6;
        return new Result(total / elapsed, p50, p99, total, errors.get());
    }

    static long failover(ProcessCluster cluster) throws Exception {
        long leader = cluster.awaitLeader(Duration.ofSeconds(10));
        ProcessCluster.Member victim = cluster.member(leader);
        StringBuilder others = new StringBuilder();
        for (ProcessCluster.Member m : cluster.members()) {
            if (m.id != leader) {
                others.append(others.length() == 0 ? "" : ",").append(m.endpoint());
            }
        }
        try (CairnClient c = CairnClient.builder().endpoints(others.toString()).requestTimeout(Duration.ofSeconds(2)).build()) {
            c.set("/bench/failover", "before", -1);
            long killed = System.nanoTime();
            cluster.kill(victim);
            while (true) {
                try {
                    c.set("/bench/failover", "after", -1);
                    long ms = (System.nanoTime() - killed) / 1_000_000;
                    cluster.launch(victim);
                    return ms;
                } catch (CairnException e) {
                    Thread.sleep(5);
                }
            }
        }
    }
}
