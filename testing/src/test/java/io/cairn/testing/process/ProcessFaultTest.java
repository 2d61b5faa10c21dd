package io.cairn.testing.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Event;
import io.cairn.client.Watch;
import io.cairn.node.testing.Background;
import io.cairn.testing.lin.KvModel;
import io.cairn.testing.lin.LinearizabilityChecker;
import io.cairn.testing.lin.Operation;
import io.cairn.testing.process.ProcessCluster.Member;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * DESIGN §8.4: three real member JVMs on loopback; the leader and followers are SIGKILLed,
 * paused with SIGSTOP and restarted while clients work; the recorded history must be
 * linearizable and every acknowledged write must still be there.
 */
class ProcessFaultTest {
    @Test
    void killsPausesAndRestartsLoseNothing() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(3)) {
            AtomicBoolean stop = new AtomicBoolean();
            List<HistoryRecorder> recorders = new ArrayList<>();
            List<CairnClient> clients = new ArrayList<>();
            Background bg = new Background();
            for (int c = 0; c < 4; c++) {
                CairnClient client = CairnClient.builder().endpoints(cluster.endpoints())
                        .requestTimeout(Duration.ofSeconds(3)).connectTimeout(Duration.ofMillis(500)).build();
                clients.add(client);
                HistoryRecorder r = new HistoryRecorder(c, client, stop, 1000 + c);
                recorders.add(r);
                bg.start("recorder-" + c, r::run);
            }
            // Each step waits on what it needs (a write acknowledged after the fault, a member
            // serving again), with generous deadlines; the figures printed are not asserted.
            waitForAckAfter(recorders, System.nanoTime(), Duration.ofSeconds(30));

            // 1. SIGKILL the leader; time until the next acknowledged write.
            Member leader = cluster.member(cluster.awaitLeader(Duration.ofSeconds(30)));
            long killedAt = System.nanoTime();
            cluster.kill(leader);
            long recoveredAt = waitForAckAfter(recorders, killedAt, Duration.ofSeconds(30));
            System.out.printf("leader %d killed: first write called after the kill acknowledged %d ms after it%n", leader.id,
                    (recoveredAt - killedAt) / 1_000_000);
            cluster.launch(leader);
            cluster.awaitServing(leader, Duration.ofSeconds(30));

            // 2. SIGSTOP a follower, read past it, write without it, then let it go on.
            Member follower = someFollower(cluster);
            // A read through a list naming the stopped member first fails over after one attempt deadline.
            String others = cluster.members().stream().filter(m -> m != follower).map(Member::endpoint)
                    .collect(java.util.stream.Collectors.joining(","));
            try (CairnClient past = CairnClient.builder().endpoints(follower.endpoint() + "," + others)
                    .requestTimeout(Duration.ofSeconds(20)).build()) {
                assertThat(past.revAsync(true).get(20, TimeUnit.SECONDS).rev()).as("connected to the member about to stop").isPositive();
                cluster.pause(follower);
                long pausedAt = System.nanoTime();
                assertThat(past.rev().rev()).isPositive();
                System.out.printf("read through stopped member %d named first: answered %d ms after the SIGSTOP%n",
                        follower.id, (System.nanoTime() - pausedAt) / 1_000_000);
                waitForAckAfter(recorders, pausedAt, Duration.ofSeconds(30));
            }
            cluster.resume(follower);
            cluster.awaitServing(follower, Duration.ofSeconds(30));

            // 3. SIGKILL a follower and restart it.
            Member other = someFollower(cluster);
            long killedFollower = System.nanoTime();
            cluster.kill(other);
            waitForAckAfter(recorders, killedFollower, Duration.ofSeconds(30));
            cluster.launch(other);
            cluster.awaitServing(other, Duration.ofSeconds(30));

            // 4. SIGKILL the new leader too.
            Member second = cluster.member(cluster.awaitLeader(Duration.ofSeconds(30)));
            long killed2 = System.nanoTime();
            cluster.kill(second);
            long recovered2 = waitForAckAfter(recorders, killed2, Duration.ofSeconds(30));
            System.out.printf("leader %d killed: first write called after the kill acknowledged %d ms after it%n", second.id,
                    (recovered2 - killed2) / 1_000_000);
            cluster.launch(second);
            cluster.awaitServing(second, Duration.ofSeconds(30));
            // Writes go on with every member back.
            waitForAckAfter(recorders, System.nanoTime(), Duration.ofSeconds(30));

            stop.set(true);
            bg.join(); // a recorder that died of anything but a Cairn error fails the test here

            List<Operation> history = new ArrayList<>();
            int acks = 0;
            for (HistoryRecorder r : recorders) {
                history.addAll(r.history);
                acks += r.acks.size();
            }
            System.out.printf("history: %d operations, %d acknowledged writes%n", history.size(), acks);
            List<Operation> resolved = resolveUnknownSets(history, cluster);
            LinearizabilityChecker.Result lin = LinearizabilityChecker.check(resolved, KvModel.State.empty(),
                    LinearizabilityChecker.DEFAULT_BUDGET, true);
            if (!lin.linearizable()) {
                StringBuilder dump = new StringBuilder();
                for (Operation o : resolved) {
                    dump.append(o.client()).append(' ').append(o.call()).append(' ').append(o.ret()).append(' ')
                            .append(o.input()).append(" => ").append(o.output()).append('\n');
                }
                java.nio.file.Files.writeString(cluster.logs().resolve("history.txt"), dump.toString());
            }
            assertThat(lin.linearizable()).as(lin.detail() + " (logs and history.txt in " + cluster.logs() + ")").isTrue();

            // Every acknowledged write is readable at its revision, from a member that restarted.
            try (CairnClient check = CairnClient.builder().endpoints(leader.endpoint() + "," + cluster.endpoints())
                    .requestTimeout(Duration.ofSeconds(10)).build()) {
                for (HistoryRecorder r : recorders) {
                    for (HistoryRecorder.Ack a : r.acks) {
                        assertThat(check.get(a.path(), a.rev()).text()).as("write %s at rev %d", a.path(), a.rev())
                                .isEqualTo(a.value());
                    }
                }
            }
            // All members converge on the same slot.
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            boolean same = false;
            while (!same && System.nanoTime() < deadline) {
                long a = cluster.appliedSlot(cluster.member(1));
                same = a > 0 && a == cluster.appliedSlot(cluster.member(2)) && a == cluster.appliedSlot(cluster.member(3));
                Thread.sleep(100);
            }
            assertThat(same).as("members converge (logs in %s)", cluster.logs()).isTrue();
            clients.forEach(CairnClient::close);
        }
    }

    /**
     * A SET whose client got no answer either happened or not; the store's own history says
     * which. Each value is unique, so the event that wrote it gives its revision; a value that
     * never appears was never written, and the operation is left out.
     */
    private static List<Operation> resolveUnknownSets(List<Operation> history, ProcessCluster cluster) throws InterruptedException {
        Map<String, Long> revOfValue = new HashMap<>();
        try (CairnClient c = CairnClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(10)).build()) {
            long end = c.rev().rev();
            LinkedBlockingQueue<Event> q = new LinkedBlockingQueue<>();
            java.util.concurrent.atomic.AtomicReference<CairnException> failed = new java.util.concurrent.atomic.AtomicReference<>();
            try (Watch w = c.watch("/p/**", 1, new io.cairn.client.WatchListener() {
                @Override
                public void onEvent(Event e) {
                    q.add(e);
                }

                @Override
                public void onError(CairnException e) {
                    failed.set(e);
                }
            })) {
                while (true) {
                    Event e = q.poll(20, TimeUnit.SECONDS);
                    if (e == null) {
                        break;
                    }
                    if (!e.deleted()) {
                        revOfValue.put(e.text(), e.rev());
                    }
                    if (e.rev() >= end && q.isEmpty()) {
                        // Events of the last revisions may still be coming; a short grace is enough.
                        Event more = q.poll(300, TimeUnit.MILLISECONDS);
                        if (more == null) {
                            break;
                        }
                        if (!more.deleted()) {
                            revOfValue.put(more.text(), more.rev());
                        }
                    }
                }
            }
        }
        List<Operation> out = new ArrayList<>();
        int applied = 0;
        assertThat(revOfValue).as("the store's history replays from rev 1").isNotEmpty();
        int dropped = 0;
        for (Operation o : history) {
            if (o.outcomeKnown() || o.input().kind() != KvModel.Kind.SET) {
                out.add(o);
                continue;
            }
            Long rev = revOfValue.get(o.input().value());
            if (rev == null) {
                dropped++;
                continue;
            }
            applied++;
            out.add(new Operation(o.client(), o.call(), Operation.UNKNOWN, o.input(), KvModel.Output.wrote(rev)));
        }
        System.out.printf("writes without an answer: %d took effect, %d did not%n", applied, dropped);
        return out;
    }

    private static Member someFollower(ProcessCluster cluster) throws InterruptedException {
        long leader = cluster.awaitLeader(Duration.ofSeconds(10));
        for (Member m : cluster.members()) {
            if (m.id != leader && m.alive()) {
                return m;
            }
        }
        throw new IllegalStateException("no live follower");
    }

    private static long waitForAckAfter(List<HistoryRecorder> recorders, long after, Duration timeout)
            throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            for (HistoryRecorder r : recorders) {
                synchronized (r.ackTimes) {
                    // A write called after the kill: it had to go through the new leader.
                    for (int i = 0; i < r.ackCalls.size(); i++) {
                        if (r.ackCalls.get(i) > after) {
                            return r.ackTimes.get(i);
                        }
                    }
                }
            }
            Thread.sleep(5);
        }
        throw new CairnException(io.cairn.proto.Msg.Response.Err.UNAVAILABLE, "no write acknowledged within " + timeout);
    }
}
