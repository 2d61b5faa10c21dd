package io.cairn.node.http;

import io.cairn.net.NettyTransport;
import io.cairn.net.ReloadingSslContext;
import io.cairn.node.server.KvService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The HTTP/JSON gateway: the store for curl, watches as Server-Sent Events, health probes. With
 * TLS it serves HTTPS; when client certificates are required, the data routes refuse callers
 * without one (the TLS context asks for certificates but does not insist, so probes still work).
 */
public final class HttpGateway implements AutoCloseable {
    private final Channel channel;

    private HttpGateway(Channel channel) {
        this.channel = channel;
    }

    public static HttpGateway bind(InetSocketAddress addr, KvService kv, int maxBodyBytes, BooleanSupplier ready,
            Supplier<CompletableFuture<Map<String, Object>>> status, Supplier<CompletableFuture<String>> metrics,
            ReloadingSslContext tls, boolean requireClientCert, EventLoopGroup boss, EventLoopGroup workers)
            throws InterruptedException {
        return bind(addr, kv, maxBodyBytes, ready, status, metrics, tls, requireClientCert,
                io.cairn.node.auth.Authenticator.off(), boss, workers);
    }

    public static HttpGateway bind(InetSocketAddress addr, KvService kv, int maxBodyBytes, BooleanSupplier ready,
            Supplier<CompletableFuture<Map<String, Object>>> status, Supplier<CompletableFuture<String>> metrics,
            ReloadingSslContext tls, boolean requireClientCert, io.cairn.node.auth.Authenticator auth,
            EventLoopGroup boss, EventLoopGroup workers) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NettyTransport.serverSocketChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.current().newHandler(ch.alloc()));
                        }
                        handlers(ch.pipeline(), kv, maxBodyBytes, ready, status, metrics, requireClientCert, auth);
                    }
                });
        return new HttpGateway(b.bind(addr).sync().channel());
    }

    /** The gateway's handlers after TLS: HTTP codec, body aggregator, the gateway itself. */
    static void handlers(io.netty.channel.ChannelPipeline p, KvService kv, int maxBodyBytes, BooleanSupplier ready,
            Supplier<CompletableFuture<Map<String, Object>>> status, Supplier<CompletableFuture<String>> metrics,
            boolean requireClientCert, io.cairn.node.auth.Authenticator auth) {
        p.addLast(new HttpServerCodec(MAX_LINE, MAX_HEADERS, 8192))
                .addLast(new JsonRefusingAggregator(maxBodyBytes))
                .addLast(new HttpGatewayHandler(kv, ready, status, metrics, requireClientCert, auth));
    }

    /** Longest request line (414 past it) and header block (431 past it): Netty's defaults. */
    static final int MAX_LINE = 4096;
    static final int MAX_HEADERS = 8192;

    /**
     * Refuses a body over the limit with 413 and a JSON error, like every other error of the
     * gateway (Netty's aggregator answers with an empty 413). As Netty's does, it closes the
     * connection only when it must (the whole body came at once, or the client will not keep the
     * connection): closing while a client is still sending its body resets the connection before
     * the client reads the answer. Otherwise the aggregator discards the rest of the body.
     */
    private static final class JsonRefusingAggregator extends HttpObjectAggregator {
        private final int max;

        JsonRefusingAggregator(int max) {
            super(max);
            this.max = max;
        }

        /**
         * Netty answers an Expect it does not support (417), and a 100-continue for a body over
         * the limit (413), with empty bodies; these say why in JSON like every other error (the
         * fuzz target found the 417).
         */
        @Override
        protected Object newContinueResponse(io.netty.handler.codec.http.HttpMessage start, int maxContentLength,
                io.netty.channel.ChannelPipeline pipeline) {
            Object r = super.newContinueResponse(start, maxContentLength, pipeline);
            if (r instanceof io.netty.handler.codec.http.FullHttpResponse full) {
                int code = full.status().code();
                if (code == 417 || code == 413) {
                    full.release();
                    return code == 417
                            ? HttpGatewayHandler.errorResponse(io.netty.handler.codec.http.HttpResponseStatus.EXPECTATION_FAILED,
                                    io.cairn.node.store.Err.INVALID, "only \"Expect: 100-continue\" is supported")
                            : tooLarge();
                }
            }
            return r;
        }

        private io.netty.handler.codec.http.FullHttpResponse tooLarge() {
            return HttpGatewayHandler.errorResponse(io.netty.handler.codec.http.HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    io.cairn.node.store.Err.TOO_LARGE, "the body is over the limit of " + max + " bytes");
        }

        @Override
        protected void handleOversizedMessage(io.netty.channel.ChannelHandlerContext ctx, io.netty.handler.codec.http.HttpMessage oversized) {
            boolean close = oversized instanceof io.netty.handler.codec.http.FullHttpMessage
                    || !io.netty.handler.codec.http.HttpUtil.is100ContinueExpected(oversized)
                    && !io.netty.handler.codec.http.HttpUtil.isKeepAlive(oversized);
            ctx.writeAndFlush(tooLarge()).addListener(close ? io.netty.channel.ChannelFutureListener.CLOSE
                    : io.netty.channel.ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
