package io.cairn.testing.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.Versioned;
import io.cairn.testing.process.ProcessCluster.Member;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A client connected to a follower sends its writes straight to the leader once the follower
 * named it (CairnClient.Builder.leaderWrites), on three real member JVMs: counted by the SETs
 * each member answered (its /metrics), in the order they were sent, and after the leader dies,
 * to the next leader.
 */
class LeaderWritesProcessTest {
    private static final Pattern SETS = Pattern.compile("cairn_request_duration_seconds_count\\{verb=\"SET\"} (\\S+)");
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void writesThroughAFollowerMoveToTheLeaderInOrderAndFollowItsSuccessor() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(3)) {
            Member leader = cluster.member(cluster.awaitLeader(Duration.ofSeconds(30)));
            Member follower = cluster.members().stream().filter(m -> m != leader).findFirst().orElseThrow();
            // Only the follower is named: the leader's address comes from the follower's answer.
            try (CairnClient client = CairnClient.builder().endpoints(follower.endpoint())
                    .requestTimeout(Duration.ofSeconds(10)).build()) {
                long leaderSetsBefore = sets(leader);
                long followerSetsBefore = sets(follower);

                // 1,000 writes of one file sent without waiting for answers, from one thread, in
                // waves a millisecond apart: the route changes while some are under way, and each
                // must land after the one sent before it.
                // The first write's answer names the leader; the waves start while the client
                // opens its connection there.
                client.set("/first", new byte[] {1}, -1);
                List<CompletableFuture<Long>> sent = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    sent.add(client.setAsync("/order", ("v" + i).getBytes(StandardCharsets.UTF_8), -1));
                    if (i % 25 == 24) {
                        Thread.sleep(1);
                    }
                }
                long lastRev = 0;
                for (int i = 0; i < sent.size(); i++) {
                    long rev = sent.get(i).get(20, TimeUnit.SECONDS);
                    assertThat(rev).as("write %d's revision", i).isGreaterThan(lastRev);
                    lastRev = rev;
                }
                assertThat(new String(client.get("/order").value(), StandardCharsets.UTF_8)).isEqualTo("v999");
                for (int i = 0; i < 200; i++) {
                    client.set("/one-by-one", ("v" + i).getBytes(StandardCharsets.UTF_8), -1);
                }
                long viaFollower = sets(follower) - followerSetsBefore;
                long atLeader = sets(leader) - leaderSetsBefore;
                System.out.printf("1,201 writes through member %d: %d answered by it (forwarded), %d by the leader %d%n",
                        follower.id, viaFollower, atLeader, leader.id);
                assertThat(atLeader).as("SETs the leader answered itself").isGreaterThanOrEqualTo(200);
                assertThat(viaFollower + atLeader).isEqualTo(1201);

                // The leader dies: writes go through the follower again (the lost connection's
                // writes fail, later ones are forwarded), then straight to whoever leads next.
                cluster.kill(leader);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                long written = 0;
                while (written < 100 && System.nanoTime() < deadline) {
                    try {
                        client.set("/after", ("a" + written).getBytes(StandardCharsets.UTF_8), -1);
                        written++;
                    } catch (io.cairn.client.CairnException e) {
                        Thread.sleep(50); // an election, or the dead leader's connection: its outcome is unknown
                    }
                }
                assertThat(written).as("writes after the leader was killed").isEqualTo(100);
                Member next = cluster.member(cluster.awaitLeader(Duration.ofSeconds(30)));
                assertThat(next).isNotSameAs(leader);
                Versioned v = client.get("/after");
                assertThat(new String(v.value(), StandardCharsets.UTF_8)).isEqualTo("a99");
                if (next != follower) {
                    long before = sets(next);
                    for (int i = 0; i < 50; i++) {
                        client.set("/next", ("n" + i).getBytes(StandardCharsets.UTF_8), -1);
                    }
                    assertThat(sets(next) - before).as("SETs the new leader %d answered itself", next.id).isGreaterThanOrEqualTo(45);
                }
            }
        }
    }

    /** The SETs member {@code m} answered, from its /metrics. */
    private long sets(Member m) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.httpPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher x = SETS.matcher(body);
        return x.find() ? (long) Double.parseDouble(x.group(1)) : 0;
    }
}
