package io.cairn.node.http;

import io.cairn.node.server.KvService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.cairn.proto.wire.ReloadingSslContext;
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
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.current().newHandler(ch.alloc()));
                        }
                        ch.pipeline()
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(maxBodyBytes))
                                .addLast(new HttpGatewayHandler(kv, ready, status, metrics, requireClientCert));
                    }
                });
        return new HttpGateway(b.bind(addr).sync().channel());
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
