package io.cairn.client;

import io.cairn.net.Causes;
import io.cairn.net.CoalescingWriter;
import io.cairn.net.FramedProtobufDecoder;
import io.cairn.net.FramedProtobufEncoder;
import io.cairn.net.NettyTransport;
import io.cairn.net.ReloadingSslContext;
import io.cairn.net.TlsConfig;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Response;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Links over Netty: one event-loop thread for every connection, requests from many threads
 * written in batches (one task and one flush per batch), answers decoded in the pipeline.
 */
final class NettyClientTransport implements Transport {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NettyTransport.ioHandler());
    private final Bootstrap bootstrap;
    private final ReloadingSslContext tls;
    private final Duration connectTimeout;

    NettyClientTransport(TlsConfig tls, Duration connectTimeout) {
        this.tls = tls == null ? null : ReloadingSslContext.client(tls);
        this.connectTimeout = connectTimeout;
        this.bootstrap = new Bootstrap().group(group).channel(NettyTransport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis());
    }

    @Override
    public ScheduledExecutorService loop() {
        return group.next();
    }

    @Override
    public CompletableFuture<Link> open(InetSocketAddress endpoint, Link.Receiver receiver) {
        CompletableFuture<Link> opened = new CompletableFuture<>();
        Handler handler = new Handler(endpoint, receiver);
        ChannelFuture cf = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (tls != null) {
                    SslHandler ssl = tls.current().newHandler(ch.alloc(), endpoint.getHostString(), endpoint.getPort());
                    // A stopped member accepts the TCP connection (the kernel does) but never shakes hands.
                    ssl.setHandshakeTimeoutMillis(connectTimeout.toMillis());
                    ch.pipeline().addLast("tls", ssl);
                }
                ch.pipeline()
                        .addLast(new FirstBytes(handler))
                        .addLast(new LengthFieldBasedFrameDecoder(Link.MAX_FRAME, 0, 4, 0, 4))
                        .addLast(new FramedProtobufDecoder<>(Response.parser()))
                        .addLast(new FramedProtobufEncoder())
                        .addLast(handler);
            }
        }).connect(new InetSocketAddress(endpoint.getHostString(), endpoint.getPort()));
        cf.addListener(connected -> {
            if (!connected.isSuccess()) {
                opened.completeExceptionally(connected.cause());
            } else if (tls == null) {
                opened.complete(new ChannelLink(cf.channel()));
            } else {
                // Usable only once the handshake is done: a member we cannot trust counts as one that did not answer.
                cf.channel().pipeline().get(SslHandler.class).handshakeFuture().addListener(hs -> {
                    if (hs.isSuccess()) {
                        opened.complete(new ChannelLink(cf.channel()));
                    } else {
                        cf.channel().close();
                        opened.completeExceptionally(new IOException("TLS with " + Endpoints.show(endpoint) + " failed: "
                                + Causes.innermost(hs.cause())));
                    }
                });
            }
        });
        return opened;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class ChannelLink implements Link {
        private final Channel channel;
        /** Requests from many threads go out in batches: one event-loop task and flush per batch. */
        private final CoalescingWriter<Request> writer;

        ChannelLink(Channel channel) {
            this.channel = channel;
            this.writer = new CoalescingWriter<>(channel, null);
        }

        @Override
        public boolean isActive() {
            return channel.isActive();
        }

        @Override
        public void send(Request r) {
            writer.write(r, 0);
        }

        @Override
        public void close() {
            channel.close();
        }
    }

    /** Keeps the first bytes a connection receives (for {@link Link#notCairn}), then leaves the pipeline. */
    private static final class FirstBytes extends ChannelInboundHandlerAdapter {
        private final Handler handler;

        FirstBytes(Handler handler) {
            this.handler = handler;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                handler.firstBytes = b.toString(b.readerIndex(), Math.min(4, b.readableBytes()), StandardCharsets.ISO_8859_1);
                ctx.pipeline().remove(this);
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** The last handler of the pipeline: answers in, the end of the channel and why. */
    private static final class Handler extends SimpleChannelInboundHandler<Response> {
        private final InetSocketAddress endpoint;
        private final Link.Receiver receiver;
        private String firstBytes;
        private String failure;
        private boolean notCairn;

        Handler(InetSocketAddress endpoint, Link.Receiver receiver) {
            this.endpoint = endpoint;
            this.receiver = receiver;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Response r) {
            receiver.received(r);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            receiver.lost(failure, notCairn);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Netty's own words, "Adjusted frame length exceeds 67108864", told a user nothing.
            for (Throwable t = cause; t != null && !notCairn; t = t.getCause()) {
                notCairn = t instanceof TooLongFrameException;
            }
            failure = notCairn ? Link.notCairn(endpoint, firstBytes) : Causes.innermost(cause);
            ctx.close();
        }
    }
}
