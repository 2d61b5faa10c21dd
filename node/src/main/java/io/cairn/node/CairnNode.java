package io.cairn.node;

import com.google.protobuf.ByteString;
import io.cairn.net.NettyTransport;
import io.cairn.net.ReloadingSslContext;
import io.cairn.node.auth.Authenticator;
import io.cairn.node.http.HttpGateway;
import io.cairn.node.replica.Replica;
import io.cairn.node.server.ServerLimits;
import io.cairn.node.store.FileEntry;
import io.cairn.node.transport.ClientServer;
import io.cairn.node.transport.PeerTransport;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Peer.ClusterConfig;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.handler.ssl.ClientAuth;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Cairn member: its replica (consensus, log, tree), the peer listener, the client
 * protocol listener and the HTTP gateway. The member records itself under /ctl/members, and the
 * leader records itself at /ctl/leader, through the log like any write.
 */
public final class CairnNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CairnNode.class);

    private final NodeConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Replica kv;
    private final PeerTransport peers;
    private final ClientServer clientServer;
    private final HttpGateway http;
    private volatile boolean closed;

    private CairnNode(NodeConfig config, EventLoopGroup boss, EventLoopGroup workers, Replica kv,
            PeerTransport peers, ClientServer clientServer, HttpGateway http) {
        this.config = config;
        this.boss = boss;
        this.workers = workers;
        this.kv = kv;
        this.peers = peers;
        this.clientServer = clientServer;
        this.http = http;
    }

    public static CairnNode start(NodeConfig given) throws IOException, InterruptedException {
        claimDataDir(given);
        List<Member> saved = savedMembers(given);
        NodeConfig config = given.peerAddr() != null ? given : given.withPeerAddr(savedPeerAddr(given, saved));
        List<Member> members = initialMembers(config, saved);
        Replica.Options o = config.replication();
        CairnNode[] self = new CairnNode[1];
        // One thread serves every connection (clients, peers, HTTP) and runs the replica: a
        // request read from a socket is proposed, and a peer's message stepped, without waking
        // another thread. Only the log's fsyncs and snapshot writes run elsewhere. Separate
        // network threads handing each request to the replica's thread cost more in hand-offs
        // and context switches than they saved (the benchmark's write load, on two cores).
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NettyTransport.ioHandler());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(1,
                new io.netty.util.concurrent.DefaultThreadFactory("cairn-member-" + config.id()), NettyTransport.ioHandler());
        Replica kv = null;
        PeerTransport pt = null;
        ClientServer cs = null;
        HttpGateway gw = null;
        try {
            kv = Replica.open(config.id(), members, config.dataDir(), config.store(), o, workers.next(),
                    () -> {
                        if (self[0] != null) {
                            self[0].publishMembership();
                        }
                    });
            ReloadingSslContext peerServerTls = null;
            ReloadingSslContext peerClientTls = null;
            ReloadingSslContext clientTls = null;
            ReloadingSslContext httpTls = null;
            NodeConfig.Tls tls = config.tls();
            if (tls != null) {
                peerServerTls = ReloadingSslContext.server(tls.files(), ClientAuth.REQUIRE);
                peerClientTls = ReloadingSslContext.client(tls.files());
                clientTls = tls.clientCertAuth() ? peerServerTls : ReloadingSslContext.server(tls.files(), ClientAuth.NONE);
                httpTls = ReloadingSslContext.server(tls.files(), tls.clientCertAuth() ? ClientAuth.OPTIONAL : ClientAuth.NONE);
            }
            // Final copies for the binds below.
            Replica service = kv;
            ReloadingSslContext pst = peerServerTls;
            ReloadingSslContext pct = peerClientTls;
            if (config.peerAddr() != null) {
                pt = listen(config.peers().isEmpty() ? "--peer-addr" : "--peers", config.peerAddr(),
                        a -> PeerTransport.start(config.id(), a, boss, workers, service::receive, pst, pct));
                PeerTransport transport = pt;
                String mine = Addresses.advertised(config.peerAddr(), pt.address());
                if (kv.fillOwnPeerAddress(mine)) {
                    recordOwnPeerAddress(config, members, mine);
                }
                kv.onPeerAddress((member, addr) -> {
                    if (member != config.id() && !addr.isEmpty()) {
                        transport.setAddress(member, Addresses.parse(addr));
                    }
                });
            }
            ServerLimits limits = ServerLimits.forMaxValue(config.store().maxValueBytes());
            ReloadingSslContext ct = clientTls;
            ReloadingSslContext ht = httpTls;
            boolean certAuth = tls != null && tls.clientCertAuth();
            Authenticator auth = new Authenticator(config.auth());
            cs = listen("--client-addr", config.clientAddr(), a -> ClientServer.bind(a, service, limits, ct, auth, boss, workers));
            gw = listen("--http-addr", config.httpAddr(), a -> HttpGateway.bind(a, service, limits.maxFrameBytes(), service::isReady,
                    service::status, service::metricsText, ht, certAuth, auth, boss, workers));
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
            if (kv != null) {
                kv.close(); // before its loop, the workers' thread, is shut down
            }
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        CairnNode node = new CairnNode(config, boss, workers, kv, pt, cs, gw);
        self[0] = node;
        PeerTransport transport = pt;
        // A member without a peer port is alone: it has nobody to send to.
        kv.start(transport == null ? message -> { } : transport::send);
        log.info("member {}: serving clients on {}, http on {}, {} ({} members, {}, {})", config.id(),
                hostPort(node.clientAddress()), hostPort(node.httpAddress()),
                pt == null ? "no peer port (alone; --peer-addr gives it one)" : "peers on " + hostPort(pt.address()), members.size(),
                (config.tls() == null ? "plain TCP" : config.tls().clientCertAuth() ? "TLS, client certificates required" : "TLS")
                        + " over " + NettyTransport.name(),
                config.auth().enforce() ? "authorization on (the policy under /ctl/acl)" : "authorization off (every client may do everything)");
        if (config.join() != null) {
            node.finishJoin();
        }
        return node;
    }

    /**
     * The membership this member starts from: kept in {@code cluster.pb} once known; else from
     * --join (the cluster's members, and this one as a learner), --peers, or just itself.
     */
    /** The TLS a joining member calls the cluster with: its own certificate, the cluster's CAs. */
    /** The token a joining member shows, read afresh for each call (a Secret may be updated in place); null without one. */
    private static String joinToken(NodeConfig config) throws java.io.IOException {
        java.nio.file.Path f = config.auth().joinTokenFile();
        return f == null ? null : java.nio.file.Files.readString(f).strip();
    }

    private static SSLContext joinTls(NodeConfig config) {
        return config.tls() == null ? null : config.tls().files().jdkClientContext();
    }

    private interface Bind<T> {
        T at(InetSocketAddress resolved) throws Exception;
    }

    /**
     * Binds {@code addr} (given by {@code flag}); a failure names both, in one line: "cairn-node:
     * Address already in use" did not say which of three ports, or which flag to change.
     */
    private static <T> T listen(String flag, InetSocketAddress addr, Bind<T> bind) throws IOException, InterruptedException {
        try {
            return bind.at(Addresses.resolved(addr));
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new IOException("cannot listen on " + Addresses.show(addr) + " (" + flag + "): " + why, e);
        }
    }

    /**
     * Where a member given no peer address listens: its own entry in the membership it saved
     * (a restarted pod is started without --peers or --peer-addr), else nowhere: a member started
     * alone without --peer-addr has no peer port (a second one on the same host used to fail on
     * the default port it did not need).
     */
    private static InetSocketAddress savedPeerAddr(NodeConfig config, List<Member> saved) {
        for (Member m : saved == null ? List.<Member>of() : saved) {
            if (m.getId() == config.id() && !m.getPeerAddr().isEmpty()) {
                return Addresses.parse(m.getPeerAddr());
            }
        }
        return null;
    }

    /**
     * Writes the peer address a member started alone without one now has into {@code cluster.pb},
     * so that a restart without --peer-addr listens there again (where joiners will dial).
     */
    private static void recordOwnPeerAddress(NodeConfig config, List<Member> members, String addr) throws IOException {
        List<Member> filled = new ArrayList<>();
        for (Member m : members) {
            filled.add(m.getId() == config.id() && m.getPeerAddr().isEmpty() ? m.toBuilder().setPeerAddr(addr).build() : m);
        }
        Files.write(config.dataDir().resolve("cluster.pb"), ClusterConfig.newBuilder().addAllMembers(filled).build().toByteArray());
        log.info("member {}: alone until now without a peer port; it listens for peers on {} from here on", config.id(), addr);
    }

    /** The membership saved in the data directory ({@code cluster.pb}), or null before the first start. */
    private static List<Member> savedMembers(NodeConfig config) throws IOException {
        Path file = config.dataDir().resolve("cluster.pb");
        return Files.exists(file) ? ClusterConfig.parseFrom(Files.readAllBytes(file)).getMembersList() : null;
    }

    private static List<Member> initialMembers(NodeConfig config, List<Member> saved) throws IOException {
        Path file = config.dataDir().resolve("cluster.pb");
        if (saved != null) {
            log.info("member {}: membership from {} ({} members); later changes come from the log", config.id(), file, saved.size());
            return saved;
        }
        List<Member> members = new ArrayList<>();
        String me = config.peerAddr() == null ? "" : hostPort(config.peerAddr());
        if (config.join() != null) {
            List<MemberInfo> theirs = JoinClient.members(config.join(), joinTls(config), joinToken(config));
            for (MemberInfo m : theirs) {
                if (m.getId() == config.id()) {
                    throw new IllegalStateException("member id " + config.id() + " is already in the cluster at "
                            + hostPort(config.join()) + "; pick another --id or remove it first");
                }
                members.add(Member.newBuilder().setId(m.getId()).setPeerAddr(m.getPeerAddr()).setClientAddr(m.getClientAddr())
                        .setHttpAddr(m.getHttpAddr()).setLearner(m.getLearner()).build());
            }
            members.add(Member.newBuilder().setId(config.id()).setPeerAddr(me).setLearner(true).build());
            log.info("member {}: joining the cluster of {} ({} members) as a learner", config.id(), hostPort(config.join()), theirs.size());
        } else if (!config.peers().isEmpty()) {
            config.peers().forEach((id, addr) -> members.add(Member.newBuilder().setId(id).setPeerAddr(hostPort(addr)).build()));
        } else {
            members.add(Member.newBuilder().setId(config.id()).setPeerAddr(me).build());
        }
        Files.write(file, ClusterConfig.newBuilder().addAllMembers(members).build().toByteArray());
        return members;
    }

    /** Asks to be added as a learner, waits until caught up, then asks to be promoted. */
    private void finishJoin() {
        Thread t = new Thread(() -> {
            try {
                MemberInfo me = MemberInfo.newBuilder().setId(config.id()).setPeerAddr(advertisedPeer())
                        .setClientAddr(advertisedClient()).setHttpAddr(advertisedHttp()).build();
                if (!isListed()) {
                    retry(() -> JoinClient.change(config.join(), Verb.MEMBER_ADD, me, joinTls(config), joinToken(config)));
                    log.info("member {}: added as a learner; catching up", config.id());
                }
                while (!closed) {
                    long[] p = kv.progress().get();
                    boolean listed = p[2] == 1;
                    boolean learner = p[3] == 1;
                    if (listed && !learner) {
                        return;
                    }
                    if (listed && kv.leader() != 0 && p[1] > 0 && p[0] >= p[1]) {
                        retry(() -> JoinClient.change(config.join(), Verb.MEMBER_PROMOTE, me, joinTls(config), joinToken(config)));
                        log.info("member {}: caught up at slot {}; promoted to voter", config.id(), p[0]);
                        return;
                    }
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                if (!closed) {
                    log.warn("member {}: joining did not finish: {}", config.id(), e.getMessage());
                }
            }
        }, "cairn-join-" + config.id());
        t.setDaemon(true);
        t.start();
    }

    private boolean isListed() throws Exception {
        return kv.progress().get()[2] == 1 && kv.leader() != 0;
    }

    private interface Call {
        void run() throws IOException;
    }

    private void retry(Call call) throws InterruptedException, IOException {
        IOException last = null;
        for (int i = 0; i < 50 && !closed; i++) {
            try {
                call.run();
                return;
            } catch (IOException e) {
                last = e;
                if (e.getMessage() != null && e.getMessage().contains("already")) {
                    return;
                }
                Thread.sleep(200);
            }
        }
        throw last == null ? new IOException("stopped") : last;
    }

    private String advertisedPeer() {
        return peers == null ? "" : Addresses.advertised(config.peerAddr(), peers.address());
    }

    private String advertisedClient() {
        return Addresses.advertised(config.advertiseClient() != null ? config.advertiseClient() : config.clientAddr(), clientAddress());
    }

    private String advertisedHttp() {
        return Addresses.advertised(config.advertiseHttp() != null ? config.advertiseHttp() : config.httpAddr(), httpAddress());
    }

    /** Keeps /ctl/members/ID (and /ctl/leader, when leading) true; retried until it sticks. */
    private void publishMembership() {
        if (closed || kv.leader() == 0) {
            return;
        }
        boolean leading = kv.leader() == config.id();
        CompletableFuture<List<MemberInfo>> listed = kv.memberList();
        listed.thenCompose(list -> {
            MemberInfo mine = list.stream().filter(m -> m.getId() == config.id()).findFirst().orElse(null);
            if (mine == null) {
                return CompletableFuture.completedFuture(null); // not (or no longer) a member
            }
            String json = Replica.memberJson(Member.newBuilder().setId(config.id())
                    .setPeerAddr(advertisedPeer()).setClientAddr(advertisedClient())
                    .setHttpAddr(advertisedHttp()).setLearner(mine.getLearner()).build());
            return kv.localGet("/ctl/members/" + config.id()).thenApply(f -> new Object[] {f, json});
        }).thenCompose(pair -> {
            if (pair == null) {
                return CompletableFuture.completedFuture(null);
            }
            FileEntry f = (FileEntry) ((Object[]) pair)[0];
            String json = (String) ((Object[]) pair)[1];
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

    /** A bound address's IP and port; an address from the flags as given (a name stays a name). */
    static String hostPort(InetSocketAddress a) {
        return a.isUnresolved() ? Addresses.show(a) : a.getAddress().getHostAddress() + ":" + a.getPort();
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

    /** Where this member listens for peers, or null: it was started alone without a peer address. */
    public InetSocketAddress peerAddress() {
        return peers == null ? null : peers.address();
    }

    public boolean ready() {
        return kv.isReady();
    }

    /** The lowest protocol version among the members, as this member last learnt it (0: not yet known). */
    public int clusterVersion() {
        return kv.clusterVersion();
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
        if (closed) {
            return; // closing twice (a test that stops one member of a cluster it then closes) is closing once
        }
        closed = true;
        http.close();
        clientServer.close();
        if (peers != null) {
            peers.close();
        }
        kv.close();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("member {} stopped", config.id());
    }
}
