package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import io.cairn.proto.Msg.Compare;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Txn;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientApiTest {
    TestNode node;
    CairnClient client;

    /** How this class's clients are built; {@code ...OverSocketsTest} runs every test again with the socket transport. */
    CairnClient.Builder clientBuilder() {
        return CairnClient.builder();
    }

    CairnClient connect(String endpoints) {
        return clientBuilder().endpoints(endpoints).build();
    }

    @BeforeAll
    void start() {
        node = TestNode.start(new StoreConfig(100, 2048));
        client = connect(node.endpoint());
    }

    @AfterAll
    void stop() {
        client.close();
        node.close();
    }

    @Test
    void blockingBasics() {
        long r1 = client.set("/api/a", "one", Versioned.MISSING);
        Versioned v = client.get("/api/a");
        assertThat(v.text()).isEqualTo("one");
        assertThat(v.rev()).isEqualTo(r1);
        assertThat(client.get("/api/none").exists()).isFalse();
        assertThat(client.get("/api").isDir()).isTrue();
        long r2 = client.set("/api/a", "two", r1);
        assertThat(client.get("/api/a", r1).text()).isEqualTo("one");
        assertThat(client.stat("/api/a", 0)).isEqualTo(new StatInfo(r2, 3));
        assertThat(client.rev().rev()).isGreaterThanOrEqualTo(r2);
        client.del("/api/a", r2);
        assertThat(client.get("/api/a").exists()).isFalse();
    }

    /**
     * Writes sent one after the other without waiting, before the client has a connection, go out
     * in the order they were made: a CompletableFuture runs what waits on it last-first, and they
     * went out in reverse. 4,000 of them (a member takes 4,096 at once on a connection): calls queued behind one another as a chain of futures
     * ran each inside the one before, deep enough to overflow a thread's stack.
     */
    @Test
    void writesMadeWhileTheConnectionOpensGoOutInOrder() throws Exception {
        try (CairnClient fresh = connect(node.endpoint())) {
            List<java.util.concurrent.CompletableFuture<Long>> sent = new java.util.ArrayList<>();
            for (int i = 0; i < 4000; i++) {
                sent.add(fresh.setAsync("/api/order", ("v" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8), -1));
            }
            long last = 0;
            for (int i = 0; i < sent.size(); i++) {
                long rev = sent.get(i).get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(rev).as("write %d's revision", i).isGreaterThan(last);
                last = rev;
            }
            assertThat(fresh.get("/api/order").text()).isEqualTo("v3999");
        }
    }

    /**
     * A member stopped with SIGSTOP (or frozen) still completes TCP handshakes: the kernel accepts
     * into the listen backlog, and nothing is ever answered. A socket nobody accepts from behaves
     * the same. Named first in the list, it held every read for the whole request timeout.
     */
    @Test
    void aReadFailsOverPastAMemberThatAcceptsButNeverAnswers() throws Exception {
        long rev = client.set("/api/failover", "here", Versioned.CLOBBER);
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                CairnClient c = clientBuilder()
                        .endpoints("127.0.0.1:" + silent.getLocalPort() + "," + node.endpoint())
                        .requestTimeout(Duration.ofSeconds(60)).attemptTimeout(Duration.ofMillis(300)).build()) {
            Versioned v = c.get("/api/failover");
            assertThat(v.text()).isEqualTo("here");
            assertThat(v.rev()).isEqualTo(rev);
            // Later calls, writes included, go to the endpoint that answers.
            assertThat(c.set("/api/failover", "moved", rev)).isGreaterThan(rev);
        }
        // A write already sent to the silent member is not repeated elsewhere: its outcome is unknown.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                CairnClient c = clientBuilder()
                        .endpoints("127.0.0.1:" + silent.getLocalPort() + "," + node.endpoint())
                        .requestTimeout(Duration.ofMillis(1500)).attemptTimeout(Duration.ofMillis(300)).build()) {
            assertThatThrownBy(() -> c.set("/api/failover-write", "once", Versioned.CLOBBER))
                    .isInstanceOf(RequestTimeoutException.class).hasMessageContaining("outcome is unknown");
            assertThat(client.get("/api/failover-write").exists()).isFalse();
        }
    }

    @Test
    void eachErrorCodeHasItsException() {
        long r = client.set("/exc/file", "v", Versioned.CLOBBER);
        assertThatThrownBy(() -> client.set("/exc/file", "w", r + 5))
                .isInstanceOfSatisfying(RevMismatchException.class, e -> assertThat(e.currentRev()).isEqualTo(r));
        assertThatThrownBy(() -> client.get("bad")).isInstanceOf(BadPathException.class);
        assertThatThrownBy(() -> client.del("/exc/nothing", -1)).isInstanceOf(NoEntException.class);
        assertThatThrownBy(() -> client.set("/exc", "v", -1)).isInstanceOf(IsDirException.class);
        assertThatThrownBy(() -> client.set("/exc/file/x", "v", -1)).isInstanceOf(NotDirException.class);
        assertThatThrownBy(() -> client.set("/exc/big", new byte[4096], -1)).isInstanceOf(TooLargeException.class);
        assertThatThrownBy(() -> client.set("/ctl/x", "v", -1)).isInstanceOf(ReadOnlyException.class);
        assertThatThrownBy(() -> client.get("/exc/file", 1 << 30)).isInstanceOf(RangeException.class);
        assertThatThrownBy(() -> client.set("/exc/file", "v", -7)).isInstanceOf(InvalidException.class);
        assertThatThrownBy(() -> client.getdir("/exc/file", 0)).isInstanceOf(NotDirException.class);
        for (int i = 0; i < 120; i++) {
            client.set("/exc/churn", "v" + i, -1);
        }
        assertThatThrownBy(() -> client.get("/exc/file", r)).isInstanceOf(TooLateException.class)
                .hasMessageContaining("compacted");
    }

    @Test
    void pagedListingsAcrossPages() {
        List<CompletableFuture<Long>> writes = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            writes.add(client.setAsync(String.format("/many/f%04d", i), new byte[] {1}, -1));
        }
        writes.forEach(CompletableFuture::join);
        List<String> names = client.getdir("/many", 0);
        assertThat(names).hasSize(2500).isSorted();
        assertThat(client.walk("/many/*", 0).items()).hasSize(2500);
        Page<Versioned> first = client.walkAsync("/many/*", 0, 0, 10).join();
        assertThat(first.more()).isTrue();
        assertThat(first.items()).hasSize(10);
    }

    @Test
    void asyncRequestsAreMultiplexedOnOneConnection() {
        List<CompletableFuture<Long>> all = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            all.add(client.setAsync("/mux/k" + (i % 50), ("v" + i).getBytes(), -1));
        }
        List<Long> revs = all.stream().map(CompletableFuture::join).toList();
        assertThat(revs).doesNotHaveDuplicates();
    }

    @Test
    void transactions() {
        long r = client.set("/tx/balance", "10", -1);
        Txn t = Txn.newBuilder()
                .addCompare(Compare.newBuilder().setPath("/tx/balance").setTarget(Compare.Target.REV).setOp(Compare.Op.EQUAL).setRev(r))
                .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/tx/balance").setValue(ByteString.copyFromUtf8("5")))
                .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/tx/log").setValue(ByteString.copyFromUtf8("-5")))
                .addFailure(Op.newBuilder().setKind(Op.Kind.GET).setPath("/tx/balance"))
                .build();
        TxnResponse ok = client.txn(t);
        assertThat(ok.succeeded()).isTrue();
        assertThat(ok.results()).extracting(Versioned::rev).containsOnly(ok.rev());
        TxnResponse no = client.txn(t);
        assertThat(no.succeeded()).isFalse();
        assertThat(no.results().get(0).text()).isEqualTo("5");
    }

    @Test
    void waitReturnsTheFirstMatchingChange() {
        long from = client.rev().rev() + 1;
        CompletableFuture<Event> w = client.waitAsync("/wait/**", from);
        client.set("/other/x", "ignored", -1);
        long r = client.set("/wait/x", "hit", -1);
        Event e = w.join();
        assertThat(e.path()).isEqualTo("/wait/x");
        assertThat(e.rev()).isEqualTo(r);
        // From an old revision the answer comes from history at once.
        assertThat(client.waitFor("/wait/**", from, Duration.ofSeconds(5)).rev()).isEqualTo(r);
        assertThat(client.waitFor("/wait/nothing", 0, Duration.ofMillis(200))).isNull();
    }

    @Test
    void failsOverToTheNextEndpoint() throws IOException {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        try (CairnClient c = connect("127.0.0.1:" + dead + "," + node.endpoint())) {
            assertThat(c.rev().rev()).isPositive();
        }
        try (CairnClient c = clientBuilder().endpoints("127.0.0.1:" + dead).connectTimeout(Duration.ofSeconds(1)).build()) {
            assertThatThrownBy(c::rev).isInstanceOf(UnavailableException.class).hasMessageContaining("no endpoint answered");
        }
    }

    @Test
    void requestsTimeOutAgainstASilentServer() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    Socket s = silent.accept();
                    s.getInputStream().readAllBytes();
                } catch (IOException ignored) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            try (CairnClient c = clientBuilder().endpoints("127.0.0.1:" + silent.getLocalPort())
                    .requestTimeout(Duration.ofMillis(300)).build()) {
                assertThatThrownBy(() -> c.set("/x", "v", -1)).isInstanceOf(RequestTimeoutException.class)
                        .hasMessageContaining("outcome is unknown");
            }
        }
    }

    @Test
    void anEndpointThatAnswersInHttpIsSaidNotToSpeakCairn() {
        String http = "127.0.0.1:" + node.httpAddress().getPort();
        try (CairnClient c = connect(http)) {
            assertThatThrownBy(() -> c.get("/x")).isInstanceOf(ConnectionLostException.class)
                    .hasMessageContaining(http + " does not speak the Cairn protocol: it answered in HTTP");
            assertThatThrownBy(() -> c.set("/x", "v", -1)).hasMessageContaining("nothing was written");
        }
    }

    @Test
    void aFrameCutShortLosesTheCallNotTheClient() throws Exception {
        try (ServerSocket garbled = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                while (!garbled.isClosed()) {
                    try (Socket s = garbled.accept()) {
                        // Once the request's length has come (the client holds the connection by
                        // then), a frame that announces 50 MB and brings two bytes, then the end.
                        s.getInputStream().readNBytes(4);
                        s.getOutputStream().write(new byte[] {0x03, 0x20, 0, 0, 1, 2});
                        s.getOutputStream().flush();
                    } catch (IOException ignored) {
                        // test over
                    }
                }
            });
            server.setDaemon(true);
            server.start();
            try (CairnClient c = clientBuilder().endpoints("127.0.0.1:" + garbled.getLocalPort()).build()) {
                assertThatThrownBy(() -> c.set("/x", "v", -1)).isInstanceOf(ConnectionLostException.class);
                assertThatThrownBy(() -> c.get("/x")).isInstanceOf(ConnectionLostException.class);
            }
        }
    }

    @Test
    void aCallInFlightWhenTheClientClosesFailsRatherThanHangs() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (Socket s = silent.accept()) {
                    s.getInputStream().readAllBytes();
                } catch (IOException ignored) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            CairnClient c = clientBuilder().endpoints("127.0.0.1:" + silent.getLocalPort()).requestTimeout(Duration.ofMinutes(5)).build();
            CompletableFuture<Long> inFlight = c.setAsync("/x", "v".getBytes(), -1);
            Thread.sleep(200);
            c.close();
            assertThatThrownBy(() -> inFlight.get(30, java.util.concurrent.TimeUnit.SECONDS))
                    .hasCauseInstanceOf(ConnectionLostException.class);
        }
    }

    @Test
    void closingTheClientEndsItsThreads() throws Exception {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (CairnClient c = connect(node.endpoint())) {
            c.rev();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> left;
        do {
            Thread.sleep(20);
            left = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive())
                    .map(Thread::getName).filter(n -> n.startsWith("cairn-client") || n.contains("LoopGroup")).toList();
        } while (!left.isEmpty() && System.nanoTime() < deadline);
        assertThat(left).isEmpty();
    }

    @Test
    void badEndpointListsAreRefused() {
        assertThatThrownBy(() -> connect("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connect("host:notaport")).hasMessageContaining("bad port");
        assertThatThrownBy(() -> connect("host:70000")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> connect("a:1,,b:2")).hasMessageContaining("empty endpoint");
    }
}
