package io.cairn.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.cairn.node.http.HttpGateway;
import io.cairn.node.paxos.PaxosConfig;
import io.cairn.node.server.ReplicatedKvService;
import io.cairn.node.server.ServerLimits;
import io.cairn.node.store.FileEntry;
import io.cairn.node.transport.ClientServer;
import io.cairn.node.transport.PeerTransport;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Txn;
import io.cairn.proto.State.Command;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Cairn member: its replica (consensus, log, tree), the peer listener, the client
 * protocol listener and the HTTP gateway. The member records itself under /ctl/members, and the
 * leader records itself at /ctl/leader, through the log like any write.
 */
public final class CairnNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CairnNode.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final NodeConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ReplicatedKvService kv;
    private final PeerTransport peers;
    private final ClientServer clientServer;
    private final HttpGateway http;
    private volatile boolean closed;

    private CairnNode(NodeConfig config, EventLoopGroup boss, EventLoopGroup workers, ReplicatedKvService kv,
            PeerTransport peers, ClientServer clientServer, HttpGateway http) {
        this.config = config;
        this.boss = boss;
        this.workers = workers;
        this.kv = kv;
        this.peers = peers;
        this.clientServer = clientServer;
        this.http = http;
    }

    public static CairnNode start(NodeConfig config) throws IOException, InterruptedException {
        claimDataDir(config);
        Set<Long> voters = new HashSet<>(config.peers().keySet());
        if (voters.isEmpty()) {
            voters.add(config.id());
        }
        ReplicatedKvService.Options o = config.replication();
        PaxosConfig paxos = new PaxosConfig(config.id(), voters, Set.of(), o.electionTicks(), o.heartbeatTicks(),
                o.window(), o.maxBatch(), 256);
        CairnNode[] self = new CairnNode[1];
        ReplicatedKvService kv = new ReplicatedKvService(config.id(), paxos, config.dataDir(), config.store(), o,
                () -> {
                    if (self[0] != null) {
                        self[0].publishMembership();
                    }
                });
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, NioIoHandler.newFactory());
        PeerTransport pt = null;
        ClientServer cs = null;
        HttpGateway gw = null;
        try {
            pt = PeerTransport.start(config.id(), config.peerAddr(), boss, workers, kv::receive);
            for (var e : config.peers().entrySet()) {
                pt.setAddress(e.getKey(), e.getValue());
            }
            ServerLimits limits = ServerLimits.forMaxValue(config.store().maxValueBytes());
            cs = ClientServer.bind(config.clientAddr(), kv, limits, boss, workers);
            gw = HttpGateway.bind(config.httpAddr(), kv, limits.maxFrameBytes(), kv::isReady, kv::status, boss, workers);
        } catch (Exception e) {
            if (gw != null) {
                gw.close();
            }
            if (cs != null) {
                cs.close();
            }
            if (pt != null) {
                pt.close();
            }
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            kv.close();
            throw e;
        }
        CairnNode node = new CairnNode(config, boss, workers, kv, pt, cs, gw);
        self[0] = node;
        kv.start(pt::send);
        log.info("member {}: serving clients on {}, http on {}, peers on {} ({} voters)", config.id(),
                hostPort(node.clientAddress()), hostPort(node.httpAddress()), hostPort(pt.address()), voters.size());
        return node;
    }

    /** Keeps /ctl/members/ID (and /ctl/leader, when leading) true; retried until it sticks. */
    private void publishMembership() {
        if (closed || kv.leader() == 0) {
            return;
        }
        ObjectNode me = JSON.createObjectNode();
        me.put("id", config.id());
        me.put("peer", hostPort(peers.address()));
        me.put("client", hostPort(clientAddress()));
        me.put("http", hostPort(httpAddress()));
        me.put("role", "voter");
        String json = me.toString();
        boolean leading = kv.leader() == config.id();
        CompletableFuture<FileEntry> current = kv.localGet("/ctl/members/" + config.id());
        current.thenCompose(f -> {
            Txn.Builder t = Txn.newBuilder();
            if (f.value() == null || !new String(f.value(), StandardCharsets.UTF_8).equals(json)) {
                t.addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/ctl/members/" + config.id())
                        .setValue(ByteString.copyFromUtf8(json)));
            }
            if (leading) {
                t.addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/ctl/leader")
                        .setValue(ByteString.copyFromUtf8(Long.toString(config.id()))));
            }
            if (t.getSuccessCount() == 0) {
                return CompletableFuture.completedFuture(null);
            }
            return kv.writeSystem(Command.newBuilder().setTxn(t).build());
        }).whenComplete((r, e) -> {
            if (e != null && !closed) {
                CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(this::publishMembership);
            }
        });
    }

    private static void claimDataDir(NodeConfig config) throws IOException {
        Path dir = config.dataDir();
        Files.createDirectories(dir);
        Path idFile = dir.resolve("node.id");
        String mine = Long.toString(config.id());
        if (Files.exists(idFile)) {
            String theirs = Files.readString(idFile, StandardCharsets.UTF_8).trim();
            if (!theirs.equals(mine)) {
                throw new IllegalStateException("data dir " + dir + " belongs to member " + theirs + ", not " + mine);
            }
        } else {
            Files.writeString(idFile, mine + "\n", StandardCharsets.UTF_8);
        }
    }

    static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    public long id() {
        return config.id();
    }

    public InetSocketAddress clientAddress() {
        return clientServer.address();
    }

    public InetSocketAddress httpAddress() {
        return http.address();
    }

    public InetSocketAddress peerAddress() {
        return peers.address();
    }

    public boolean ready() {
        return kv.isReady();
    }

    public long leader() {
        return kv.leader();
    }

    /** Waits until the member serves clients (a leader known, caught up); false on timeout. */
    public boolean awaitReady(java.time.Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!kv.isReady()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        http.close();
        clientServer.close();
        peers.close();
        kv.close();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("member {} stopped", config.id());
    }
}
