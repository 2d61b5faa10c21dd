package io.cairn.node;

import com.google.protobuf.ByteString;
import io.cairn.node.http.HttpGateway;
import io.cairn.node.server.LocalKvService;
import io.cairn.node.server.ServerLimits;
import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.VersionedTree;
import io.cairn.node.transport.ClientServer;
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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Cairn node: the store, the client protocol listener and the HTTP gateway.
 *
 * <p>This node keeps its tree in memory; the replicated, durable log comes with the replication
 * work. The data directory is claimed already, so a directory cannot be shared by two node ids.
 */
public final class CairnNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CairnNode.class);

    private final NodeConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final LocalKvService kv;
    private final ClientServer clientServer;
    private final HttpGateway http;
    private volatile boolean ready;

    private CairnNode(NodeConfig config, EventLoopGroup boss, EventLoopGroup workers, LocalKvService kv,
            ClientServer clientServer, HttpGateway http) {
        this.config = config;
        this.boss = boss;
        this.workers = workers;
        this.kv = kv;
        this.clientServer = clientServer;
        this.http = http;
    }

    public static CairnNode start(NodeConfig config) throws IOException, InterruptedException {
        claimDataDir(config);
        LocalKvService kv = new LocalKvService(config.id(), new VersionedTree(config.store()));
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, NioIoHandler.newFactory());
        ClientServer cs = null;
        HttpGateway gw = null;
        CairnNode[] self = new CairnNode[1];
        try {
            ServerLimits limits = ServerLimits.forMaxValue(config.store().maxValueBytes());
            cs = ClientServer.bind(config.clientAddr(), kv, limits, boss, workers);
            gw = HttpGateway.bind(config.httpAddr(), kv, limits.maxFrameBytes(), () -> self[0] != null && self[0].ready, boss, workers);
        } catch (Exception e) {
            if (cs != null) {
                cs.close();
            }
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            kv.close();
            throw e;
        }
        CairnNode node = new CairnNode(config, boss, workers, kv, cs, gw);
        self[0] = node;
        node.bootstrap();
        return node;
    }

    /** Records this node under /ctl, the way membership will: /ctl/members/ID and /ctl/leader. */
    private void bootstrap() {
        String member = String.format("{\"id\":%d,\"client\":\"%s\",\"http\":\"%s\",\"role\":\"voter\"}",
                config.id(), hostPort(clientAddress()), hostPort(httpAddress()));
        Command cmd = Command.newBuilder().setSystem(true).setTxn(Txn.newBuilder()
                .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/ctl/members/" + config.id())
                        .setValue(ByteString.copyFrom(member, StandardCharsets.UTF_8)))
                .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/ctl/leader")
                        .setValue(ByteString.copyFromUtf8(Long.toString(config.id())))))
                .build();
        ApplyResult r = kv.write(cmd).join();
        if (!r.ok()) {
            throw new IllegalStateException("could not record node " + config.id() + " under /ctl: " + r.error().getMessage());
        }
        ready = true;
        log.info("node {} serving clients on {}, http on {}, at rev {} (single node, state in memory)",
                config.id(), hostPort(clientAddress()), hostPort(httpAddress()), r.rev());
    }

    private static void claimDataDir(NodeConfig config) throws IOException {
        Path dir = config.dataDir();
        Files.createDirectories(dir);
        Path idFile = dir.resolve("node.id");
        String mine = Long.toString(config.id());
        if (Files.exists(idFile)) {
            String theirs = Files.readString(idFile, StandardCharsets.UTF_8).trim();
            if (!theirs.equals(mine)) {
                throw new IllegalStateException("data dir " + dir + " belongs to node " + theirs + ", not " + mine);
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

    public boolean ready() {
        return ready;
    }

    @Override
    public void close() {
        ready = false;
        http.close();
        clientServer.close();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        try {
            kv.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("node {} stopped", config.id());
    }
}
