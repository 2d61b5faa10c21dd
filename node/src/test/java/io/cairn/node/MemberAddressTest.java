package io.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TempDirs;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Peer.ClusterConfig;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Members are reached by name, as in Kubernetes (NAME-0.NAME-peers.NS.svc): the names are kept
 * in the membership rather than the addresses they resolved to once, a peer whose name does
 * not resolve yet does not stop a member from starting, and a member restarted with only its
 * data directory listens where its saved membership says it is. All three were found on a real
 * control plane (the e2e suite), where pods start together and come back at new addresses.
 */
class MemberAddressTest {
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static NodeConfig config(long id, Path dir, InetSocketAddress peer, Map<Long, InetSocketAddress> peers) {
        return new NodeConfig(id, dir, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0), peer,
                peers, StoreConfig.defaults(), Replica.Options.defaults(), null);
    }

    private static List<String> savedPeers(Path dir) throws IOException {
        return ClusterConfig.parseFrom(Files.readAllBytes(dir.resolve("cluster.pb"))).getMembersList().stream()
                .map(Member::getPeerAddr).collect(Collectors.toList());
    }

    @Test
    void aPeerWhoseNameDoesNotResolveYetDoesNotStopAMember() throws Exception {
        Path dir = TempDirs.create("cairn-addr");
        Map<Long, InetSocketAddress> peers = new TreeMap<>();
        peers.put(1L, InetSocketAddress.createUnresolved("localhost", freePort()));
        peers.put(2L, InetSocketAddress.createUnresolved("cairn-peer-without-a-pod-yet.invalid", freePort()));
        peers.put(3L, InetSocketAddress.createUnresolved("cairn-peer-without-a-pod-yet-2.invalid", freePort()));
        try (CairnNode n = CairnNode.start(config(1, dir, peers.get(1L), peers))) {
            assertThat(n.peerAddress().getPort()).isEqualTo(peers.get(1L).getPort());
            assertThat(savedPeers(dir)).as("names, not the addresses they had")
                    .containsExactly("localhost:" + peers.get(1L).getPort(),
                            "cairn-peer-without-a-pod-yet.invalid:" + peers.get(2L).getPort(),
                            "cairn-peer-without-a-pod-yet-2.invalid:" + peers.get(3L).getPort());
        }
    }

    @Test
    void aPortInUseIsNamedWithItsFlag() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress taken = new InetSocketAddress("127.0.0.1", busy.getLocalPort());
            NodeConfig c = new NodeConfig(1, TempDirs.create("cairn-addr"), taken, new InetSocketAddress("127.0.0.1", 0),
                    new InetSocketAddress("127.0.0.1", 0), Map.of(), StoreConfig.defaults(), Replica.Options.defaults(), null);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> CairnNode.start(c)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith("cannot listen on 127.0.0.1:" + busy.getLocalPort() + " (--client-addr): ")
                    .hasMessageContaining("in use");
            NodeConfig h = new NodeConfig(1, TempDirs.create("cairn-addr"), new InetSocketAddress("127.0.0.1", 0), taken,
                    new InetSocketAddress("127.0.0.1", 0), Map.of(), StoreConfig.defaults(), Replica.Options.defaults(), null);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> CairnNode.start(h))
                    .hasMessageStartingWith("cannot listen on 127.0.0.1:" + busy.getLocalPort() + " (--http-addr): ");
        }
    }

    @Test
    void aRestartedMemberListensWhereItsSavedMembershipSaysAndRejoins() throws Exception {
        Map<Long, InetSocketAddress> peers = new TreeMap<>();
        List<Path> dirs = new ArrayList<>();
        for (long i = 1; i <= 3; i++) {
            peers.put(i, InetSocketAddress.createUnresolved("localhost", freePort()));
            dirs.add(TempDirs.create("cairn-addr"));
        }
        List<CairnNode> nodes = new ArrayList<>();
        try {
            for (long i = 1; i <= 3; i++) {
                nodes.add(CairnNode.start(config(i, dirs.get((int) i - 1), peers.get(i), peers)));
            }
            for (CairnNode n : nodes) {
                assertThat(n.awaitReady(Duration.ofSeconds(20))).isTrue();
            }
            try (WireClient c = new WireClient(nodes.get(0).clientAddress())) {
                List<MemberInfo> members = c.call(Request.newBuilder().setTag(1).setVerb(Verb.MEMBERS).build()).getMembersList();
                assertThat(members).extracting(MemberInfo::getPeerAddr).as("advertised by name")
                        .allMatch(a -> a.startsWith("localhost:"));
            }
            nodes.remove(2).close();
            // What a pod's restart gives the member: its data directory, no --peers, no --peer-addr.
            CairnNode back = CairnNode.start(config(3, dirs.get(2), null, Map.of()));
            nodes.add(back);
            assertThat(back.peerAddress().getPort()).as("the port its membership names").isEqualTo(peers.get(3L).getPort());
            // Retried until taken: the stopped member may have led, and the others elect anew.
            Response w = until(nodes.get(0).clientAddress(), Request.newBuilder().setTag(2).setVerb(Verb.SET)
                    .setPath("/addr/after-restart").setValue(ByteString.copyFromUtf8("x")).setRev(-1).build(), ok -> true);
            assertThat(w.hasErrCode()).as(w.getErrDetail()).isFalse();
            // The restarted member catches up over its peer link: its own state has the write.
            Response r = until(back.clientAddress(), Request.newBuilder().setTag(3).setVerb(Verb.GET)
                    .setPath("/addr/after-restart").setSerializable(true).build(), got -> got.getValue().toStringUtf8().equals("x"));
            assertThat(r.getValue().toStringUtf8()).isEqualTo("x");
        } finally {
            nodes.forEach(CairnNode::close);
        }
    }

    @Test
    void aLoneMemberBindsNoPeerPortUntilGivenOneThenGrows() throws Exception {
        Path dir = TempDirs.create("cairn-addr");
        List<CairnNode> nodes = new ArrayList<>();
        try {
            CairnNode alone = CairnNode.start(config(1, dir, null, Map.of()));
            nodes.add(alone);
            assertThat(alone.peerAddress()).as("no peer port for a cluster of one").isNull();
            assertThat(alone.awaitReady(Duration.ofSeconds(10))).isTrue();
            Response w = until(alone.clientAddress(), Request.newBuilder().setTag(1).setVerb(Verb.SET)
                    .setPath("/addr/alone").setValue(ByteString.copyFromUtf8("kept")).setRev(-1).build(), ok -> true);
            assertThat(w.hasErrCode()).as(w.getErrDetail()).isFalse();
            try (WireClient c = new WireClient(alone.clientAddress())) {
                Response add = c.call(Request.newBuilder().setTag(2).setVerb(Verb.MEMBER_ADD).setMember(MemberInfo.newBuilder()
                        .setId(2).setPeerAddr("127.0.0.1:1").setClientAddr("127.0.0.1:2").setHttpAddr("127.0.0.1:3")).build());
                assertThat(add.getErrCode()).isEqualTo(io.cairn.proto.Msg.Response.Err.INVALID);
                assertThat(add.getErrDetail()).contains("--peer-addr");
            }
            nodes.remove(alone);
            alone.close();
            // Restarted with a peer address, it records it, and a joiner can reach it.
            CairnNode grown = CairnNode.start(config(1, dir, new InetSocketAddress("127.0.0.1", 0), Map.of()));
            nodes.add(grown);
            assertThat(grown.peerAddress()).isNotNull();
            assertThat(grown.awaitReady(Duration.ofSeconds(10))).isTrue();
            CairnNode joiner = CairnNode.start(new NodeConfig(2, TempDirs.create("cairn-addr"),
                    new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                    new InetSocketAddress("127.0.0.1", 0), Map.of(), StoreConfig.defaults(), Replica.Options.defaults(),
                    grown.clientAddress()));
            nodes.add(joiner);
            Response r = until(joiner.clientAddress(), Request.newBuilder().setTag(3).setVerb(Verb.GET)
                    .setPath("/addr/alone").setSerializable(true).build(), got -> got.getValue().toStringUtf8().equals("kept"));
            assertThat(r.getValue().toStringUtf8()).as("the joiner caught up over its peer link").isEqualTo("kept");
            assertThat(savedPeers(dir)).as("a restart without --peer-addr listens there again")
                    .containsExactly("127.0.0.1:" + grown.peerAddress().getPort());
        } finally {
            nodes.forEach(CairnNode::close);
        }
    }

    /**
     * The answer to {@code request} once it is not an error and {@code done}, or the last after 30 s. Each
     * try has a connection of its own: a write forwarded to a leader that just stopped is answered
     * only at the member's request timeout, which the test client's read timeout may beat.
     */
    private static Response until(InetSocketAddress member, Request request, java.util.function.Predicate<Response> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Response last = null;
        while (System.nanoTime() < deadline) {
            try (WireClient c = new WireClient(member)) {
                last = c.call(request);
                if (!last.hasErrCode() && done.test(last)) {
                    return last;
                }
            } catch (java.io.UncheckedIOException timedOut) {
                // asked again below
            }
            Thread.sleep(50);
        }
        assertThat(last).as("no answer from " + member + " within 30 s").isNotNull();
        return last;
    }
}
