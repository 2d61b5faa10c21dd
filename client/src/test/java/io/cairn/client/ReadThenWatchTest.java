package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.Background;
import io.cairn.node.testing.TcpProxy;
import io.cairn.node.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * DESIGN §3: read the tree at R, watch from R+1, and every later change arrives exactly once, in
 * order — here under concurrent writers, and across connections cut in the middle of the stream.
 */
class ReadThenWatchTest {
    static final int WRITERS = 4;
    static final int WRITES_EACH = 400;

    /** Writers change /rtw/w{n}/k{0..9} and also delete, so sets and deletes interleave. */
    private static void writer(Background bg, CairnClient c, int n, CountDownLatch done) {
        bg.start("writer-" + n, () -> {
            try {
                for (int i = 0; i < WRITES_EACH; i++) {
                    String path = "/rtw/w" + n + "/k" + (i % 10);
                    if (i % 7 == 6) {
                        try {
                            c.del(path, -1);
                        } catch (NoEntException alreadyGone) {
                            // deleted twice in a row: nothing changed, no event expected
                        }
                    } else {
                        c.set(path, n + ":" + i, -1);
                    }
                }
            } finally {
                done.countDown();
            }
        });
    }

    private static void check(String endpoint) throws Exception {
        CountDownLatch done = new CountDownLatch(WRITERS);
        List<CairnClient> writerClients = new ArrayList<>();
        for (int n = 0; n < WRITERS; n++) {
            writerClients.add(CairnClient.connect(endpoint));
        }
        Background bg = new Background();
        for (int n = 0; n < WRITERS; n++) {
            writer(bg, writerClients.get(n), n, done);
        }
        try (CairnClient c = CairnClient.connect(endpoint)) {
            // The read happens mid-stream: once some writes are in, and (most likely) before the last.
            long start = c.rev().rev();
            while (c.rev().rev() < start + WRITERS && done.getCount() > 0) {
                Thread.onSpinWait();
            }
            Page<Versioned> snapshot = c.walk("/rtw/**", 0);
            long r = snapshot.rev();
            Map<String, String> state = new HashMap<>();
            snapshot.items().forEach(v -> state.put(v.path(), v.text()));

            LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
            AtomicReference<CairnException> failure = new AtomicReference<>();
            Watch w = c.watch("/rtw/**", r + 1, new WatchListener() {
                @Override
                public void onEvent(Event e) {
                    events.add(e);
                }

                @Override
                public void onError(CairnException e) {
                    failure.set(e);
                }
            });
            done.await();
            bg.join();
            long finalRev = c.rev().rev();
            // Apply the stream to the snapshot; check order and that nothing repeats.
            long lastRev = r;
            int applied = 0;
            Map<Long, Integer> perRev = new HashMap<>();
            while (lastRev < finalRev) {
                Event e = events.poll(10, TimeUnit.SECONDS);
                assertThat(e).as("event after rev %d (final %d), failure %s", lastRev, finalRev, failure.get()).isNotNull();
                assertThat(e.rev()).as("revision order").isGreaterThanOrEqualTo(lastRev);
                assertThat(e.rev()).isGreaterThan(r);
                perRev.merge(e.rev(), 1, Integer::sum);
                lastRev = e.rev();
                if (e.deleted()) {
                    assertThat(state.remove(e.path())).as("delete of a file that existed: %s at %d", e.path(), e.rev()).isNotNull();
                } else {
                    state.put(e.path(), e.text());
                }
                applied++;
            }
            w.close();
            assertThat(events.poll(200, TimeUnit.MILLISECONDS)).as("no event past the final revision").isNull();
            // Every write here is a single op: exactly one event per revision, no duplicate.
            assertThat(perRev.values()).containsOnly(1);
            Map<String, String> truth = new HashMap<>();
            c.walk("/rtw/**", finalRev).items().forEach(v -> truth.put(v.path(), v.text()));
            assertThat(state).isEqualTo(truth);
            assertThat(applied).isGreaterThan(0);
        } finally {
            writerClients.forEach(CairnClient::close);
        }
    }

    @Test
    void readThenWatchUnderConcurrentWriters() throws Exception {
        try (TestNode node = TestNode.start()) {
            check(node.endpoint());
        }
    }

    @Test
    void watchResumesExactlyOnceAcrossCutConnections() throws Exception {
        try (TestNode node = TestNode.start(); TcpProxy proxy = new TcpProxy(node.clientAddress())) {
            // Writers go straight to the node; the reader's connection runs through the proxy that keeps cutting it.
            CountDownLatch done = new CountDownLatch(WRITERS);
            List<CairnClient> writers = new ArrayList<>();
            Background bg = new Background();
            for (int n = 0; n < WRITERS; n++) {
                CairnClient wc = CairnClient.connect(node.endpoint());
                writers.add(wc);
                writer(bg, wc, n, done);
            }
            try (CairnClient c = CairnClient.builder().endpoints(proxy.endpoint()).requestTimeout(Duration.ofSeconds(5)).build()) {
                long r = c.rev().rev();
                LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
                Watch w = c.watch("/rtw/**", r + 1, events::add);
                int cuts = 0;
                while (!done.await(15, TimeUnit.MILLISECONDS)) {
                    if (cuts < 25) {
                        proxy.cutAll();
                        cuts++;
                    }
                }
                bg.join();
                long finalRev;
                try (CairnClient direct = CairnClient.connect(node.endpoint())) {
                    finalRev = direct.rev().rev();
                }
                List<Long> seen = new ArrayList<>();
                while (seen.isEmpty() || seen.get(seen.size() - 1) < finalRev) {
                    Event e = events.poll(15, TimeUnit.SECONDS);
                    assertThat(e).as("stream stalled after %s", seen.isEmpty() ? r : seen.get(seen.size() - 1)).isNotNull();
                    seen.add(e.rev());
                }
                w.close();
                assertThat(seen).isSorted().doesNotHaveDuplicates();
                // Every revision after r that touched /rtw is there: all of them, since only writers write.
                assertThat(seen.get(0)).isEqualTo(r + 1);
                assertThat(seen).hasSize((int) (finalRev - r));
                assertThat(w.reconnects()).isPositive();
            } finally {
                writers.forEach(CairnClient::close);
            }
        }
    }

    @Test
    void watchReportsTooLateClearly() throws Exception {
        try (TestNode node = TestNode.start(new StoreConfig(10, 1024)); CairnClient c = CairnClient.connect(node.endpoint())) {
            for (int i = 0; i < 30; i++) {
                c.set("/late/x", "v" + i, -1);
            }
            LinkedBlockingQueue<CairnException> errors = new LinkedBlockingQueue<>();
            Background bg = new Background();
            c.watch("/late/**", 2, new WatchListener() {
                @Override
                public void onEvent(Event event) {
                    // Thrown here it would be lost on the listener's thread.
                    bg.fail(new AssertionError("no event expected, got " + event));
                }

                @Override
                public void onError(CairnException error) {
                    errors.add(error);
                }
            });
            CairnException e = errors.poll(10, TimeUnit.SECONDS);
            assertThat(e).isInstanceOf(TooLateException.class);
            assertThat(e.getMessage()).contains("compacted").contains("watch from");
            bg.check();
        }
    }
}
