package io.cairn.node.transport;

import io.cairn.net.Causes;
import io.cairn.net.CoalescingWriter;
import io.cairn.net.FramedProtobufDecoder;
import io.cairn.net.FramedProtobufEncoder;
import io.cairn.net.NettyTransport;
import io.cairn.net.ReloadingSslContext;
import io.cairn.proto.Peer.PeerMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer network: a listener for messages from other members, and one outbound connection per
 * member, redialled in the background. Consensus tolerates lost messages, so a message for a
 * member that is not connected is dropped rather than queued. With TLS both ends show their
 * certificates: the listener refuses a peer without one from the cluster's CAs, and the dialler
 * checks that the member it reached is named by the address it dialled.
 */
public final class PeerTransport implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerTransport.class);
    private static final int MAX_FRAME = 512 << 20;
    private static final long REDIAL_FOR_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final long self;
    private final EventLoopGroup group;
    private final Consumer<PeerMessage> inbound;
    private final Channel server;
    /** Connections peers made to this member: a stopped transport closes them, as a dead process would. */
    private final ChannelGroup accepted;
    private final Map<Long, InetSocketAddress> addresses = new ConcurrentHashMap<>();
    private final Map<Long, Link> links = new ConcurrentHashMap<>();
    private final ReloadingSslContext clientTls;
    /** When each kind of TLS failure was last logged, by who failed: a redial every 200 ms must not flood the log. */
    private final Map<String, Long> tlsFailuresLogged = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /** Looks peers' names up; at most one lookup per link is outstanding. */
    private final java.util.concurrent.ExecutorService resolver = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cairn-peer-resolver");
        t.setDaemon(true);
        return t;
    });

    private final class Link {
        final long peer;
        volatile Channel channel;
        volatile CoalescingWriter<PeerMessage> writer;
        volatile boolean connecting;
        volatile long nextAttempt;
        volatile boolean everConnected;
        /** When the link was last lost (System.nanoTime), or 0 while it is up. */
        volatile long lostAt;
        /** When this link was last sent on, connected or dropped: one unused for long is not redialled. */
        volatile long lastUsed = System.nanoTime();

        Link(long peer) {
            this.peer = peer;
        }

        void send(PeerMessage m) {
            lastUsed = System.nanoTime();
            Channel ch = channel;
            CoalescingWriter<PeerMessage> w = writer;
            if (ch != null && w != null && ch.isActive()) {
                w.write(m, 0);
                return;
            }
            dial();
        }

        void dial() {
            long now = System.nanoTime();
            if (closed || connecting || now < nextAttempt) {
                return;
            }
            InetSocketAddress addr = addresses.get(peer);
            if (addr == null) {
                return;
            }
            connecting = true;
            nextAttempt = now + TimeUnit.MILLISECONDS.toNanos(200);
            if (!addr.isUnresolved()) {
                connect(addr);
                return;
            }
            // A peer's name is looked up off the member's one thread: a lookup can take seconds
            // (a cluster DNS under load; a pod's name while it is recreated), and that thread
            // serves every client, peer and probe. Found on a real control plane, where a member
            // stopped answering its probes for a minute while a peer's pod came back.
            try {
                resolver.execute(() -> {
                    InetSocketAddress resolved = new InetSocketAddress(addr.getHostString(), addr.getPort());
                    try {
                        group.next().execute(() -> {
                            if (resolved.isUnresolved() || closed) {
                                connecting = false;
                                redialLater();
                            } else {
                                connect(resolved);
                            }
                        });
                    } catch (java.util.concurrent.RejectedExecutionException shutDown) {
                        connecting = false; // the member is stopping
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException shutDown) {
                connecting = false;
            }
        }

        private void connect(InetSocketAddress addr) {
            ChannelFuture f = new Bootstrap().group(group).channel(NettyTransport.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 1000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (clientTls != null) {
                                SslHandler tls = clientTls.current().newHandler(ch.alloc(), addr.getHostString(), addr.getPort());
                                tls.handshakeFuture().addListener(hs -> {
                                    if (!hs.isSuccess()) {
                                        tlsFailed("to " + peer, "member " + self + ": TLS with member " + peer + " at " + addr.getHostString()
                                                + ":" + addr.getPort() + " failed: " + Causes.innermost(hs.cause()));
                                    }
                                });
                                ch.pipeline().addLast("tls", tls);
                            }
                            ch.pipeline().addLast(new FramedProtobufEncoder())
                                    // Outbound only: anything the peer sends back here is ignored.
                                    .addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                            io.netty.util.ReferenceCountUtil.release(msg);
                                        }

                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            ctx.close();
                                        }
                                    });
                        }
                    })
                    .connect(addr);
            f.addListener(done -> {
                connecting = false;
                if (done.isSuccess() && f.channel().localAddress().equals(f.channel().remoteAddress())) {
                    // Dialled a port nothing listened on, and the kernel picked that same port to
                    // dial from: TCP connected the socket to itself. Holding it would keep the peer
                    // from binding its own port when it comes back.
                    f.channel().close();
                    redialLater();
                } else if (done.isSuccess()) {
                    writer = new CoalescingWriter<>(f.channel(), null);
                    channel = f.channel();
                    lastUsed = System.nanoTime();
                    if (!everConnected) {
                        log.info("member {}: connected to member {} at {}", self, peer, addr);
                        everConnected = true;
                    } else if (lostAt != 0) {
                        log.info("member {}: link to member {} at {} regained after {} ms", self, peer, addr,
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lostAt));
                    }
                    lostAt = 0;
                    // Up until now counts as use: a link idle for hours still redials when it drops.
                    f.channel().closeFuture().addListener(c -> {
                        lastUsed = System.nanoTime();
                        if (!closed && links.get(peer) == this) {
                            // Once per loss, not per redial: a member down for minutes is one line.
                            lostAt = System.nanoTime();
                            log.info("member {}: link to member {} at {} lost; redialling", self, peer, addr);
                        }
                        redialLater();
                    });
                } else {
                    redialLater();
                }
            });
        }

        /**
         * Keeps the link up while nothing is sent on it. A follower sends nothing to another
         * follower until an election, and a send on a dead link is dropped while it dials: after a
         * member restarted, the survivors' first pre-vote or promise to it was lost that way, and
         * the candidate's retry cost a failover 100-400 ms more (found in the benchmark's
         * failover logs). So a link that fails or closes dials again on its own, paced as before,
         * for five minutes after it was last sent on or dropped (a member removed for good is not
         * dialled forever; a send dials it again).
         */
        private void redialLater() {
            if (closed || links.get(peer) != this || System.nanoTime() - lastUsed > REDIAL_FOR_NANOS) {
                return;
            }
            long wait = Math.max(0, nextAttempt - System.nanoTime());
            try {
                group.next().schedule(() -> {
                    Channel ch = channel;
                    if (ch == null || !ch.isActive()) {
                        dial();
                    }
                }, TimeUnit.NANOSECONDS.toMillis(wait) + 1, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException shutDown) {
                // The member is stopping.
            }
        }
    }

    private PeerTransport(long self, EventLoopGroup group, Consumer<PeerMessage> inbound, Channel server,
            ChannelGroup accepted, ReloadingSslContext clientTls) {
        this.self = self;
        this.group = group;
        this.inbound = inbound;
        this.server = server;
        this.accepted = accepted;
        this.clientTls = clientTls;
    }

    /** Logs a TLS failure at most once a minute for the same {@code who}. */
    private void tlsFailed(String who, String message) {
        long now = System.nanoTime();
        Long last = tlsFailuresLogged.get(who);
        if (last == null || now - last > TimeUnit.MINUTES.toNanos(1)) {
            tlsFailuresLogged.put(who, now);
            log.warn("{}", message);
        }
    }

    /** Plain TCP. */
    public static PeerTransport start(long self, InetSocketAddress listen, EventLoopGroup boss, EventLoopGroup workers,
            Consumer<PeerMessage> inbound) throws InterruptedException {
        return start(self, listen, boss, workers, inbound, null, null);
    }

    /**
     * @param serverTls the listener's context (it must require client certificates), or null
     * @param clientTls the dialler's context, or null; both or neither
     */
    public static PeerTransport start(long self, InetSocketAddress listen, EventLoopGroup boss, EventLoopGroup workers,
            Consumer<PeerMessage> inbound, ReloadingSslContext serverTls, ReloadingSslContext clientTls)
            throws InterruptedException {
        PeerTransport[] holder = new PeerTransport[1];
        ChannelGroup accepted = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NettyTransport.serverSocketChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.add(ch);
                        if (serverTls != null) {
                            SslHandler tls = serverTls.current().newHandler(ch.alloc());
                            tls.handshakeFuture().addListener(hs -> {
                                if (!hs.isSuccess()) {
                                    String from = ch.remoteAddress() == null ? "?" : ch.remoteAddress().getAddress().getHostAddress();
                                    holder[0].tlsFailed("from " + from, "member " + self + ": refused a peer connection from "
                                            + from + ": " + Causes.innermost(hs.cause()));
                                }
                            });
                            ch.pipeline().addLast("tls", tls);
                        }
                        ch.pipeline()
                                .addLast(inboundDecoders())
                                .addLast(new SimpleChannelInboundHandler<PeerMessage>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, PeerMessage m) {
                                        holder[0].inbound.accept(m);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        log.debug("member {}: peer connection from {} failed: {}", self,
                                                ctx.channel().remoteAddress(), cause.toString());
                                        ctx.close();
                                    }
                                });
                    }
                });
        Channel server = b.bind(listen).sync().channel();
        PeerTransport t = new PeerTransport(self, workers, inbound, server, accepted, clientTls);
        holder[0] = t;
        return t;
    }

    /** What turns a peer connection's bytes into messages: length-prefixed frames, then protobuf. */
    static io.netty.channel.ChannelHandler[] inboundDecoders() {
        return new io.netty.channel.ChannelHandler[] {
            new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4, 0, 4), new FramedProtobufDecoder<>(PeerMessage.parser())};
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public void setAddress(long peer, InetSocketAddress addr) {
        InetSocketAddress old = addresses.put(peer, addr);
        if (old != null && !old.equals(addr)) {
            Link l = links.remove(peer);
            if (l != null && l.channel != null) {
                l.channel.close();
            }
        }
    }

    public void send(PeerMessage m) {
        if (closed || m.getTo() == self) {
            return;
        }
        links.computeIfAbsent(m.getTo(), Link::new).send(m);
    }

    @Override
    public void close() {
        closed = true;
        resolver.shutdownNow();
        server.close().syncUninterruptibly();
        accepted.close().syncUninterruptibly();
        for (Link l : links.values()) {
            Channel ch = l.channel;
            if (ch != null) {
                ch.close();
            }
        }
    }
}
