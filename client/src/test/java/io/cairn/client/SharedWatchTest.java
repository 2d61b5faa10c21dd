package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.node.testing.TcpProxy;
import io.cairn.node.testing.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Watches "from the next change" of one glob on one client share one member-side watch: each
 * still sees every later change exactly once, in order, from the revision after it joined; the
 * member counts one watch; the last to close ends it; an error ends them all; a watch from a
 * given revision, or a client built not to share, has its own.
 */
class SharedWatchTest {
    /** How this class's clients are built; {@code ...OverSocketsTest} runs every test again with the socket transport. */
    CairnClient.Builder clientBuilder() {
        return CairnClient.builder();
    }

    CairnClient connect(String endpoints) {
        return clientBuilder().endpoints(endpoints).build();
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** The member's own count of open watches (its cairn_watches gauge). */
    private static long memberWatches(TestNode node) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create(node.httpBase() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith("cairn_watches ")).mapToLong(l -> (long) Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow();
    }

    /** Whether the member counts {@code n} open watches now (false while its metrics cannot be read). */
    private static boolean memberWatchesAre(TestNode node, long n) {
        try {
            return memberWatches(node) == n;
        } catch (Exception e) {
            return false;
        }
    }

    private static void eventually(String what, BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static WatchListener into(List<Event> events, List<CairnException> errors) {
        return new WatchListener() {
            @Override
            public void onEvent(Event e) {
                events.add(e);
            }

            @Override
            public void onError(CairnException e) {
                errors.add(e);
            }
        };
    }

    /**
     * A watch "from the next change" starts at a revision it learns a moment after it is opened: a
     * write made in that moment comes before its start. So {@code path} is written until every one
     * of {@code seen} has heard of it, and then they are emptied, the watch settled.
     */
    @SafeVarargs
    private static void settle(CairnClient writer, String path, List<Event>... seen) throws InterruptedException {
        for (int attempt = 0; attempt < 100; attempt++) {
            writer.set(path, Integer.toString(attempt), -1);
            long until = System.nanoTime() + 200_000_000L;
            while (System.nanoTime() < until) {
                if (java.util.Arrays.stream(seen).allMatch(l -> l.stream().anyMatch(e -> e.path().equals(path)))) {
                    for (List<Event> l : seen) {
                        l.clear();
                    }
                    return;
                }
                Thread.sleep(10);
            }
        }
        throw new AssertionError("the watches never heard of " + path);
    }

    private static boolean has(List<Event> events, long rev) {
        return events.stream().anyMatch(e -> e.rev() == rev);
    }

    @Test
    void watchesOfOneGlobShareOneMemberSideWatchAndEachSeesEveryLaterChangeOnce() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = connect(node.endpoint());
             CairnClient writer = connect(node.endpoint())) {
            List<Event> a = new CopyOnWriteArrayList<>();
            List<Event> b = new CopyOnWriteArrayList<>();
            List<CairnException> errors = new CopyOnWriteArrayList<>();
            Watch wa = c.watch("/shared/**", 0, into(a, errors));
            settle(writer, "/shared/settle", a);
            long r1 = writer.set("/shared/x", "1", -1);
            eventually("the first watch sees r1", () -> has(a, r1));
            Watch wb = c.watch("/shared/**", 0, into(b, errors));
            Watch wOther = c.watch("/other/**", 0, into(new CopyOnWriteArrayList<>(), errors));
            eventually("two member-side watches (one for each glob)", () -> memberWatchesAre(node, 2));
            // A transaction's events share a revision: a watch sees all of a revision or none of it.
            long r2 = writer.set("/shared/y", "2", -1);
            long r3 = writer.set("/shared/x", "3", -1);
            eventually("both see r3", () -> has(a, r3) && has(b, r3));
            assertThat(a).extracting(Event::rev).containsExactly(r1, r2, r3);
            assertThat(b).extracting(Event::rev).as("the later watch starts after the revision it joined at").containsExactly(r2, r3);
            assertThat(wa.lastRev()).isEqualTo(r3);
            assertThat(wb.lastRev()).isEqualTo(r3);

            wa.close();
            long r4 = writer.set("/shared/x", "4", -1);
            eventually("the other still sees r4", () -> has(b, r4));
            Thread.sleep(200);
            assertThat(a).extracting(Event::rev).as("a closed watch is told nothing more").containsExactly(r1, r2, r3);
            assertThat(memberWatches(node)).isEqualTo(2);
            wb.close();
            wOther.close();
            eventually("the last to close ended the member-side watch", () -> memberWatchesAre(node, 0));
            // After the last closed, the glob gets a new member-side watch.
            List<Event> d = new CopyOnWriteArrayList<>();
            try (Watch wd = c.watch("/shared/**", 0, into(d, errors))) {
                eventually("a new member-side watch", () -> memberWatchesAre(node, 1));
                settle(writer, "/shared/settle", d);
                long r5 = writer.set("/shared/z", "5", -1);
                eventually("the new watch sees r5", () -> has(d, r5));
            }
            assertThat(errors).isEmpty();
        }
    }

    @Test
    void sharedWatchesResumeTogetherAfterTheConnectionIsCut() throws Exception {
        try (TestNode node = TestNode.start(); TcpProxy proxy = new TcpProxy(node.clientAddress());
             CairnClient c = connect(proxy.endpoint()); CairnClient writer = connect(node.endpoint())) {
            List<Event> a = new CopyOnWriteArrayList<>();
            List<Event> b = new CopyOnWriteArrayList<>();
            List<CairnException> errors = new CopyOnWriteArrayList<>();
            Watch wa = c.watch("/cut/**", 0, into(a, errors));
            Watch wb = c.watch("/cut/**", 0, into(b, errors));
            settle(writer, "/cut/settle", a, b);
            long first = writer.set("/cut/k", "0", -1);
            eventually("both see the first", () -> has(a, first) && has(b, first));
            proxy.cutAll();
            long last = 0;
            for (int i = 1; i <= 20; i++) {
                last = writer.set("/cut/k", Integer.toString(i), -1);
            }
            long end = last;
            eventually("both see every change after the cut", () -> has(a, end) && has(b, end));
            assertThat(a).extracting(Event::rev).doesNotHaveDuplicates().isSorted().hasSize(21);
            assertThat(b).extracting(Event::rev).containsExactlyElementsOf(a.stream().map(Event::rev).toList());
            assertThat(wa.reconnects()).isPositive();
            wa.close();
            wb.close();
            assertThat(errors).isEmpty();
        }
    }

    @Test
    void anErrorEndsEveryWatchOnTheStreamAndUnsharedOrFromRevisionWatchesHaveTheirOwn() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = connect(node.endpoint());
             CairnClient own = clientBuilder().endpoints(node.endpoint()).shareWatches(false).build()) {
            List<CairnException> errors = new CopyOnWriteArrayList<>();
            c.watch("no-slash/**", 0, into(new CopyOnWriteArrayList<>(), errors));
            c.watch("no-slash/**", 0, into(new CopyOnWriteArrayList<>(), errors));
            eventually("both watches on the refused glob are told", () -> errors.size() == 2);
            assertThat(errors).allMatch(e -> e instanceof BadPathException);

            long rev = own.set("/own/k", "v", -1);
            List<Event> x = new CopyOnWriteArrayList<>();
            List<Event> y = new CopyOnWriteArrayList<>();
            List<Event> z = new CopyOnWriteArrayList<>();
            Watch wx = own.watch("/own/**", 0, into(x, errors));
            Watch wy = own.watch("/own/**", 0, into(y, errors));
            Watch wz = c.watch("/own/**", rev, into(z, errors));
            eventually("three member-side watches", () -> memberWatchesAre(node, 3));
            eventually("the watch from a revision replays it", () -> has(z, rev));
            wx.close();
            wy.close();
            wz.close();
        }
    }
}
