package io.cairn.node.testing;

import io.cairn.node.CairnNode;
import io.cairn.node.NodeConfig;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/** Three real members on loopback (free ports, fresh temp directories), all started with one {@link AuthConfig}. */
public final class TestCluster implements AutoCloseable {
    private final List<CairnNode> members = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();

    private TestCluster() { }

    public static TestCluster start(AuthConfig auth) throws Exception {
        // The peer ports are found by binding port 0 and letting go, so one can be taken before
        // its member binds it: by another member's client or HTTP listener (port 0 too), or an
        // outgoing connection. CI saw "cannot listen on 127.0.0.1:37633 (--peers)". Such a start
        // is thrown away and tried again with other ports.
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(auth);
            } catch (IOException e) {
                if (attempt == 3 || e.getMessage() == null || !e.getMessage().startsWith("cannot listen on ")) {
                    throw e;
                }
            }
        }
    }

    private static TestCluster startOnce(AuthConfig auth) throws Exception {
        TestCluster c = new TestCluster();
        try {
            Map<Long, InetSocketAddress> peers = new TreeMap<>();
            for (long i = 1; i <= 3; i++) {
                peers.put(i, new InetSocketAddress("127.0.0.1", freePort()));
            }
            for (long i = 1; i <= 3; i++) {
                Path dir = Files.createTempDirectory("cairn-cluster");
                c.dirs.add(dir);
                c.members.add(CairnNode.start(new NodeConfig(i, dir, new InetSocketAddress("127.0.0.1", 0),
                        new InetSocketAddress("127.0.0.1", 0), peers.get(i), peers, StoreConfig.defaults(),
                        Replica.Options.defaults(), null).withAuth(auth)));
            }
            for (CairnNode n : c.members) {
                if (!n.awaitReady(Duration.ofSeconds(20))) {
                    throw new IllegalStateException("member " + n.id() + " not ready in 20 s");
                }
            }
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            // One leader for all, and every member knows the cluster's version (writes under /ctl wait for it).
            while (c.members.stream().map(CairnNode::leader).distinct().count() != 1 || c.members.get(0).leader() == 0
                    || c.members.stream().anyMatch(m -> m.clusterVersion() < io.cairn.node.paxos.PaxosCore.VERSION)) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException("the members do not agree on a leader");
                }
                Thread.sleep(10);
            }
            c.awaitRecords(until);
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    /**
     * Waits until each member's record under /ctl/members holds its addresses, and /ctl/leader
     * names the leader. Each member writes its own once it hears of a leader, a moment after the
     * election: a test that counts revisions, or lists the members, raced those writes (a CI run
     * saw a revision appear in the middle of SchemaClusterTest, and a member without addresses
     * in ConsoleTest). With a policy enforced an anonymous client may not read them: then the
     * wait is skipped.
     */
    private void awaitRecords(long untilNanos) throws InterruptedException {
        while (true) {
            long leader = members.get(0).leader();
            CairnNode leading = members.stream().filter(m -> m.id() == leader).findFirst().orElse(null);
            if (leading != null) {
                try (WireClient w = new WireClient(leading.clientAddress())) {
                    Response l = w.call(Request.newBuilder().setTag(1).setVerb(Verb.GET).setPath("/ctl/leader").build());
                    if (l.getErrCode() == Response.Err.PERMISSION_DENIED) {
                        return;
                    }
                    boolean all = l.getValue().toStringUtf8().equals(Long.toString(leader));
                    for (CairnNode m : members) {
                        String json = w.call(Request.newBuilder().setTag(1).setVerb(Verb.GET).setPath("/ctl/members/" + m.id()).build())
                                .getValue().toStringUtf8();
                        all &= json.contains(":" + m.clientAddress().getPort() + "\"") && json.contains(":" + m.httpAddress().getPort() + "\"");
                    }
                    if (all) {
                        return;
                    }
                }
            }
            if (System.nanoTime() > untilNanos) {
                throw new IllegalStateException("the members' records under /ctl/members are not all written");
            }
            Thread.sleep(10);
        }
    }

    /**
     * Runs {@code call} again while it answers UNAVAILABLE, for at most 20 s: a busy machine can see
     * an election right after the start, and writes are refused for a moment until a leader (and the
     * cluster's version) is heard again. Any other answer, good or bad, is returned as it is.
     */
    public static Response untilAvailable(Supplier<Response> call) {
        long settle = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Response r = call.get();
        while (r.getErrCode() == Response.Err.UNAVAILABLE && System.nanoTime() < settle) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return r;
            }
            r = call.get();
        }
        return r;
    }

    public List<CairnNode> members() {
        return members;
    }

    public CairnNode member(int index) {
        return members.get(index);
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        members.forEach(CairnNode::close);
        dirs.forEach(TempDirs::deleteTree);
    }
}
