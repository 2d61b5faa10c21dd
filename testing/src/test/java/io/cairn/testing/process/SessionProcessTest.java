package io.cairn.testing.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.Event;
import io.cairn.client.Watch;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Presence under failures, with real processes: a `cairn set --ephemeral --hold` client holds a
 * file; SIGKILL it and the file must go, seen by a watcher (how soon is printed; the bound is the
 * simulator's to check, on its own clock); SIGKILL the leader while holders live and no
 * ephemeral file may go while the new leader times them.
 */
class SessionProcessTest {
    private final Map<String, Long> setAt = new ConcurrentHashMap<>();
    private final Map<String, Long> deletedAt = new ConcurrentHashMap<>();

    private Process holder(ProcessCluster cluster, String path, String ttl) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "io.cairn.cli.CairnCli",
                "set", "--ephemeral", "--ttl", ttl, path, "{\"holder\":\"" + path + "\"}", "--hold");
        pb.environment().put("CAIRN_ENDPOINTS", cluster.endpoints());
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(cluster.logs().resolve("holders.log").toFile()));
        return pb.start();
    }

    private void awaitSet(String path) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!setAt.containsKey(path)) {
            assertThat(System.nanoTime()).as("%s appeared", path).isLessThan(end);
            Thread.sleep(5);
        }
    }

    private long awaitDelete(String path, long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!deletedAt.containsKey(path) && System.nanoTime() < end) {
            Thread.sleep(2);
        }
        Long t = deletedAt.get(path);
        return t == null ? -1 : t;
    }

    /** Waits until a new leader (not {@code old}) has seen each session holding {@code paths} renewed {@code times} times. */
    private static void awaitRenewals(ProcessCluster cluster, long old, List<String> paths, int times) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long leader = 0;
        Map<Long, Long> lastRemaining = new java.util.HashMap<>();
        Map<Long, Integer> renewed = new java.util.HashMap<>();
        while (System.nanoTime() < end) {
            long now = cluster.leader();
            if (now != 0 && now != old) {
                if (now != leader) {
                    leader = now;
                    lastRemaining.clear();
                    renewed.clear();
                }
                try (CairnClient at = CairnClient.builder().endpoints(cluster.member(leader).endpoint())
                        .requestTimeout(Duration.ofSeconds(5)).build()) {
                    for (io.cairn.proto.Msg.SessionInfo s : at.sessions()) {
                        if (s.getFilesList().stream().noneMatch(paths::contains) || s.getRemainingMs() < 0) {
                            continue;
                        }
                        Long before = lastRemaining.put(s.getId(), s.getRemainingMs());
                        if (before != null && s.getRemainingMs() > before) {
                            renewed.merge(s.getId(), 1, Integer::sum);
                        }
                    }
                } catch (io.cairn.client.CairnException e) {
                    // the leader may be changing; asked again below
                }
                if (renewed.size() == paths.size() && renewed.values().stream().allMatch(n -> n >= times)) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no new leader saw every live session renewed " + times + " times within 60 s: " + renewed);
    }

    @Test
    void aSidecarsPresenceGoesWhenItIsKilled() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(3);
                CairnClient c = CairnClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(5)).build()) {
            c.set("/config/shop/greeting", "hello", -1);
            Watch w = c.watch("/presence/**", 0, e -> (e.deleted() ? deletedAt : setAt).putIfAbsent(e.path(), System.nanoTime()));
            java.nio.file.Path out = cluster.logs().resolve("sidecar-out");
            String javaBin = ProcessHandle.current().info().command().orElse("java");
            ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                    "io.cairn.sidecar.SidecarMain", "--watch", "/config/shop", "--out", out.toString(), "--ttl", "1s",
                    "--health-addr", "127.0.0.1:0");
            pb.environment().put("CAIRN_ENDPOINTS", cluster.endpoints());
            pb.environment().put("POD_NAMESPACE", "shop");
            pb.environment().put("CAIRN_APP", "cart");
            pb.environment().put("POD_NAME", "cart-1");
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(cluster.logs().resolve("sidecar.log").toFile()));
            Process sidecar = pb.start();
            String path = "/presence/shop/cart/cart-1";
            awaitSet(path);
            assertThat(java.nio.file.Files.readString(out.resolve("greeting"))).isEqualTo("hello");
            long killed = System.nanoTime();
            sidecar.destroyForcibly().waitFor();
            // How soon is the benchmark's (and the simulator's, on its own clock) to say; here: that it goes.
            long gone = awaitDelete(path, 60_000);
            assertThat(gone).as("presence deleted after the sidecar died").isPositive();
            long ms = (gone - killed) / 1_000_000;
            System.out.printf("sidecar SIGKILL -> presence deleted after %d ms (TTL 1 s)%n", ms);
            // The rendered files stay for the app, as the last good config.
            assertThat(java.nio.file.Files.readString(out.resolve("greeting"))).isEqualTo("hello");
            w.close();
        }
    }

    @Test
    void presenceFollowsTheHolderAndSurvivesTheLeader() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(3);
                CairnClient c = CairnClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(5)).build()) {
            Watch w = c.watch("/presence/**", 0, e -> (e.deleted() ? deletedAt : setAt).putIfAbsent(e.path(), System.nanoTime()));

            // A holder dies: its file goes within TTL + 1 s, and the watcher sees the delete.
            List<Long> latencies = new ArrayList<>();
            int trials = Integer.getInteger("cairn.presence.trials", 5);
            for (int i = 0; i < trials; i++) {
                String path = "/presence/test/app/pod-" + i;
                Process p = holder(cluster, path, "1s");
                awaitSet(path);
                // Die at a random point of the keepalive cycle, as a real process would.
                Thread.sleep((long) (Math.random() * 400));
                long killed = System.nanoTime();
                p.destroyForcibly().waitFor();
                long gone = awaitDelete(path, 60_000);
                assertThat(gone).as("%s was deleted", path).isPositive();
                long ms = (gone - killed) / 1_000_000;
                latencies.add(ms);
                assertThat(c.get(path).exists()).isFalse();
            }
            List<Long> sorted = new ArrayList<>(latencies);
            sorted.sort(null);
            System.out.printf("holder SIGKILL -> file deleted (TTL 1 s), %d trials: p50 %d ms, p99 %d ms, max %d ms%n",
                    sorted.size(), sorted.get(sorted.size() / 2),
                    sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(sorted.size() * 0.99) - 1)), sorted.get(sorted.size() - 1));

            // The leader dies while holders live: after the failover, every file is still there.
            List<Process> live = new ArrayList<>();
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String path = "/presence/test/live/pod-" + i;
                paths.add(path);
                live.add(holder(cluster, path, "3s"));
            }
            for (String path : paths) {
                awaitSet(path);
            }
            long leader = cluster.awaitLeader(Duration.ofSeconds(30));
            cluster.kill(cluster.member(leader));
            // Not a fixed wait: until the new leader has timed every live session and seen each
            // renewed three times (its remaining TTL went back up), so its clock has run through
            // at least one TTL with the holders' keepalives arriving through it.
            awaitRenewals(cluster, leader, paths, 3);
            for (String path : paths) {
                assertThat(deletedAt).as("no delete of %s while its holder lives", path).doesNotContainKey(path);
                assertThat(c.get(path).exists()).isTrue();
            }
            cluster.launch(cluster.member(leader));
            // A clean exit closes the session: the files go at once.
            for (Process p : live) {
                p.destroy();
            }
            for (String path : paths) {
                assertThat(awaitDelete(path, 5_000)).as("%s deleted after its holder exited", path).isPositive();
            }
            w.close();
        }
    }
}
