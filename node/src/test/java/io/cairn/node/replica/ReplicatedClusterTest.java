package io.cairn.node.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.CairnNode;
import io.cairn.node.NodeConfig;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TempDirs;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Three members in one JVM on loopback: forwarding, read consistency levels, and a leader leaving. */
class ReplicatedClusterTest {
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Response call(WireClient c, Request.Builder r) {
        return c.call(r.setTag(1).build());
    }

    /** Starts three members into {@code nodes} and returns the leader member 1 knows. */
    private static long startThree(List<CairnNode> nodes, Replica.Options options) throws Exception {
        Map<Long, InetSocketAddress> peers = new TreeMap<>();
        for (long i = 1; i <= 3; i++) {
            peers.put(i, new InetSocketAddress("127.0.0.1", freePort()));
        }
        for (long i = 1; i <= 3; i++) {
            nodes.add(CairnNode.start(new NodeConfig(i, TempDirs.create("cairn-rc"),
                    new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0), peers.get(i), peers,
                    StoreConfig.defaults(), options, null)));
        }
        for (CairnNode n : nodes) {
            assertThat(n.awaitReady(Duration.ofSeconds(10))).isTrue();
        }
        // Ready is "caught up with a leader"; this member may still be learning who that is.
        long known = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (nodes.get(0).leader() == 0 && System.nanoTime() < known) {
            Thread.sleep(10);
        }
        long leader = nodes.get(0).leader();
        assertThat(leader).as("a leader known to member 1").isNotZero();
        return leader;
    }

    @Test
    void writesAndReadsThatCannotFinishFailAfterTheRequestTimeout() throws Exception {
        Replica.Options d = Replica.Options.defaults();
        Replica.Options options = new Replica.Options(d.tickMs(), d.electionTicks(),
                d.heartbeatTicks(), d.window(), d.maxBatch(), d.snapshotEvery(), 400);
        List<CairnNode> nodes = new ArrayList<>();
        try {
            long leader = startThree(nodes, options);
            CairnNode kept = nodes.stream().filter(n -> n.id() == leader).findFirst().orElseThrow();
            for (CairnNode n : List.copyOf(nodes)) {
                if (n != kept) {
                    n.close();
                    nodes.remove(n);
                }
            }
            try (WireClient c = new WireClient(kept.clientAddress())) {
                // Sent before the lone member notices it lost its quorum: taken, never committed.
                Response w = call(c, Request.newBuilder().setVerb(Verb.SET).setPath("/rc/lost")
                        .setValue(ByteString.copyFromUtf8("1")).setRev(-1));
                assertThat(w.getErrCode()).isEqualTo(Response.Err.UNAVAILABLE);
                assertThat(w.getErrDetail()).satisfiesAnyOf(
                        detail -> assertThat(detail).contains("not committed within 400 ms"),
                        detail -> assertThat(detail).contains("no leader accepted the write"));
                Response r = call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/rc/lost"));
                assertThat(r.getErrCode()).isEqualTo(Response.Err.UNAVAILABLE);
                // Still answering: the timeouts fail requests, not the member.
                Response ser = call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/rc/lost").setSerializable(true));
                assertThat(ser.hasErrCode()).as(ser.getErrDetail()).isFalse();
                assertThat(ser.hasValue()).isFalse();
            }
        } finally {
            nodes.forEach(CairnNode::close);
        }
    }

    /** This member's cairn_snapshots_total, from its metrics endpoint. */
    private static double snapshotsTaken(CairnNode n) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + n.httpAddress().getPort() + "/metrics"))
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        return r.body().lines().filter(l -> l.startsWith("cairn_snapshots_total ")).mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow();
    }

    @Test
    void membersDoNotAllSnapshotAtTheSameEntry() throws Exception {
        Replica.Options d = Replica.Options.defaults();
        Replica.Options options = new Replica.Options(d.tickMs(), d.electionTicks(),
                d.heartbeatTicks(), d.window(), d.maxBatch(), 30, d.requestTimeoutMs());
        List<CairnNode> nodes = new ArrayList<>();
        try {
            long leader = startThree(nodes, options);
            CairnNode to = nodes.stream().filter(n -> n.id() == leader).findFirst().orElseThrow();
            // 20 entries (and the leader's no-op): short of 30 for member 1, whose count starts at
            // zero, past it for members 2 and 3, whose counts start a third and two thirds along.
            try (WireClient c = new WireClient(to.clientAddress())) {
                for (int i = 0; i < 20; i++) {
                    Response w = call(c, Request.newBuilder().setVerb(Verb.SET).setPath("/rc/s" + i)
                            .setValue(ByteString.copyFromUtf8("v")).setRev(-1));
                    assertThat(w.hasErrCode()).as(w.getErrDetail()).isFalse();
                }
            }
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while ((snapshotsTaken(nodes.get(1)) < 1 || snapshotsTaken(nodes.get(2)) < 1) && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(snapshotsTaken(nodes.get(1))).as("member 2 took a snapshot").isEqualTo(1);
            assertThat(snapshotsTaken(nodes.get(2))).as("member 3 took a snapshot").isEqualTo(1);
            assertThat(snapshotsTaken(nodes.get(0))).as("member 1 has not yet").isZero();
        } finally {
            nodes.forEach(CairnNode::close);
        }
    }

    /**
     * The leader answers a write before it tells its own watchers of it: their events are built
     * and written in a task of their own, after the answer and the commit notices to the
     * followers have left (WatchHub#publishLater). Before, a watch on the writer's own connection
     * heard of the write before the writer had its answer.
     */
    @Test
    void theLeaderAnswersAWriteBeforeItTellsItsWatchers() throws Exception {
        List<CairnNode> nodes = new ArrayList<>();
        try {
            long leader = startThree(nodes, Replica.Options.defaults());
            CairnNode lead = nodes.stream().filter(n -> n.id() == leader).findFirst().orElseThrow();
            try (WireClient c = new WireClient(lead.clientAddress())) {
                c.send(Request.newBuilder().setVerb(Verb.WATCH).setPath("/rc/order/**").setTag(7).build());
                // Answered after the watch is registered: one connection's requests are taken in order.
                Response read = c.call(Request.newBuilder().setVerb(Verb.GET).setPath("/rc/order").setTag(2).build());
                assertThat(read.getTag()).isEqualTo(2);
                for (int i = 1; i <= 5; i++) {
                    c.send(Request.newBuilder().setVerb(Verb.SET).setPath("/rc/order/k").setTag(3)
                            .setValue(ByteString.copyFromUtf8("v" + i)).setRev(-1).build());
                    Response first = c.read();
                    Response second = c.read();
                    assertThat(first.getTag()).as("write %d: the answer first", i).isEqualTo(3);
                    assertThat(first.hasErrCode()).as(first.getErrDetail()).isFalse();
                    assertThat(second.getTag()).as("write %d: then the event", i).isEqualTo(7);
                    assertThat(second.getRev()).isEqualTo(first.getRev());
                    assertThat(second.getValue().toStringUtf8()).isEqualTo("v" + i);
                }
            }
        } finally {
            nodes.forEach(CairnNode::close);
        }
    }

    @Test
    void followersForwardWritesAndServeBothReadLevels() throws Exception {
        List<CairnNode> nodes = new ArrayList<>();
        try {
            long leader = startThree(nodes, Replica.Options.defaults());
            CairnNode follower = nodes.stream().filter(n -> n.id() != leader).findFirst().orElseThrow();
            try (WireClient c = new WireClient(follower.clientAddress())) {
                Response w = call(c, Request.newBuilder().setVerb(Verb.SET).setPath("/rc/a")
                        .setValue(ByteString.copyFromUtf8("1")).setRev(-1));
                assertThat(w.hasErrCode()).as(w.getErrDetail()).isFalse();
                // Linearizable (the default): sees the write at once.
                Response lin = call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/rc/a"));
                assertThat(lin.getValue().toStringUtf8()).isEqualTo("1");
                // Serializable: this member's own state, which has applied its own client's write.
                Response ser = call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/rc/a").setSerializable(true));
                assertThat(ser.getValue().toStringUtf8()).isEqualTo("1");
                assertThat(ser.getRev()).isEqualTo(w.getRev());
            }
            // The leader leaves; the others elect a new one and take writes.
            CairnNode old = nodes.stream().filter(n -> n.id() == leader).findFirst().orElseThrow();
            old.close();
            nodes.remove(old);
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < end && (nodes.get(0).leader() == leader || nodes.get(0).leader() == 0)) {
                Thread.sleep(20);
            }
            assertThat(nodes.get(0).leader()).isNotIn(0L, leader);
            try (WireClient c = new WireClient(nodes.get(1).clientAddress())) {
                Response w = null;
                for (int i = 0; i < 50; i++) {
                    w = call(c, Request.newBuilder().setVerb(Verb.SET).setPath("/rc/b")
                            .setValue(ByteString.copyFromUtf8("2")).setRev(-1));
                    if (!w.hasErrCode()) {
                        break;
                    }
                    Thread.sleep(50);
                }
                assertThat(w.hasErrCode()).as(w.getErrDetail()).isFalse();
                assertThat(call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/rc/a")).getValue().toStringUtf8()).isEqualTo("1");
            }
        } finally {
            nodes.forEach(CairnNode::close);
        }
    }

    /**
     * A member that comes back empty behind the leader's snapshot gets the snapshot the leader
     * saved, in pieces (it is larger than one), then the log after it, and serves every key.
     */
    @Test
    void aMemberBehindTheSnapshotGetsTheSavedOneInPiecesThenTheLog() throws Exception {
        Replica.Options d = Replica.Options.defaults();
        Replica.Options options = new Replica.Options(d.tickMs(), d.electionTicks(),
                d.heartbeatTicks(), d.window(), d.maxBatch(), 60, d.requestTimeoutMs());
        Map<Long, InetSocketAddress> peers = new TreeMap<>();
        for (long i = 1; i <= 3; i++) {
            peers.put(i, new InetSocketAddress("127.0.0.1", freePort()));
        }
        List<CairnNode> nodes = new ArrayList<>();
        try {
            for (long i = 1; i <= 3; i++) {
                nodes.add(CairnNode.start(new NodeConfig(i, TempDirs.create("cairn-rc"), new InetSocketAddress("127.0.0.1", 0),
                        new InetSocketAddress("127.0.0.1", 0), peers.get(i), peers, StoreConfig.defaults(), options, null)));
            }
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < end && (nodes.get(0).leader() == 0
                    || nodes.stream().map(CairnNode::leader).distinct().count() != 1)) {
                Thread.sleep(10);
            }
            long leader = nodes.get(0).leader();
            assertThat(leader).isNotZero();
            CairnNode behind = nodes.stream().filter(n -> n.id() != leader).findFirst().orElseThrow();
            long behindId = behind.id();
            behind.close();
            nodes.remove(behind);
            CairnNode to = nodes.stream().filter(n -> n.id() == leader).findFirst().orElseThrow();
            // 10 MB in 160 writes of 64 KiB: every member snapshots (every 60 entries) and cuts its log.
            ByteString value = ByteString.copyFrom(new byte[64 << 10]);
            try (WireClient c = new WireClient(to.clientAddress())) {
                for (int i = 0; i < 160; i++) {
                    Response w = call(c, Request.newBuilder().setVerb(Verb.SET).setPath("/rc/big/k" + i)
                            .setValue(value.concat(ByteString.copyFromUtf8(Integer.toString(i)))).setRev(-1));
                    assertThat(w.hasErrCode()).as(w.getErrDetail()).isFalse();
                }
            }
            end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (snapshotsTaken(to) < 2 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(snapshotsTaken(to)).as("the leader snapshotted").isGreaterThanOrEqualTo(2);
            try (WireClient c = new WireClient(to.clientAddress())) {
                for (int i = 0; i < 3; i++) { // after the snapshot: these come from the log
                    Response w = null;
                    for (int attempt = 0; attempt < 50; attempt++) { // two members on a busy machine may elect again
                        w = call(c, Request.newBuilder().setVerb(Verb.SET).setPath("/rc/after" + i)
                                .setValue(ByteString.copyFromUtf8("a" + i)).setRev(-1));
                        if (w.getErrCode() != Response.Err.UNAVAILABLE) {
                            break;
                        }
                        Thread.sleep(100);
                    }
                    assertThat(w.hasErrCode()).as(w.getErrDetail()).isFalse();
                }
            }

            // The member comes back with nothing: the log it needs from slot 1 is gone.
            java.nio.file.Path fresh = TempDirs.create("cairn-rc");
            CairnNode back = CairnNode.start(new NodeConfig(behindId, fresh, new InetSocketAddress("127.0.0.1", 0),
                    new InetSocketAddress("127.0.0.1", 0), peers.get(behindId), peers, StoreConfig.defaults(), options, null));
            nodes.add(back);
            Response last = null;
            end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            try (WireClient c = new WireClient(back.clientAddress())) {
                while (System.nanoTime() < end) {
                    last = call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/rc/after2").setSerializable(true));
                    if (last.hasValue()) {
                        break;
                    }
                    Thread.sleep(50);
                }
                assertThat(last.getValue().toStringUtf8()).isEqualTo("a2");
                Response big = call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/rc/big/k159").setSerializable(true));
                assertThat(big.getValue()).isEqualTo(value.concat(ByteString.copyFromUtf8("159")));
                Response first = call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/rc/big/k0").setSerializable(true));
                assertThat(first.getValue()).isEqualTo(value.concat(ByteString.copyFromUtf8("0")));
            }
            try (var saved = Files.list(fresh.resolve("snap"))) {
                assertThat(saved.map(p -> p.getFileName().toString())).as("the snapshot it was sent, saved")
                        .anyMatch(n -> n.startsWith("snap-") && !n.equals("snap-00000000000000000000.bin"));
            }
        } finally {
            nodes.forEach(CairnNode::close);
        }
    }
}
