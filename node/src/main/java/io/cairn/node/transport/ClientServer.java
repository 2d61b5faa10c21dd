package io.cairn.node.transport;

import io.cairn.net.FramedProtobufEncoder;
import io.cairn.net.NettyTransport;
import io.cairn.net.ReloadingSslContext;
import io.cairn.node.server.KvService;
import io.cairn.node.server.ServerLimits;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;

/**
 * The client protocol listener: frames of a 4-byte big-endian length then a protobuf message.
 * Pipeline: frame decoder → request decoder → connection handler; responses go out through the
 * protobuf encoder and the length prepender. With TLS, the TLS handler comes first.
 */
public final class ClientServer implements AutoCloseable {
    private final Channel channel;

    private ClientServer(Channel channel) {
        this.channel = channel;
    }

    public static ClientServer bind(InetSocketAddress addr, KvService kv, ServerLimits limits,
            ReloadingSslContext tls, EventLoopGroup boss, EventLoopGroup workers) throws InterruptedException {
        return bind(addr, kv, limits, tls, io.cairn.node.auth.Authenticator.off(), boss, workers);
    }

    public static ClientServer bind(InetSocketAddress addr, KvService kv, ServerLimits limits, ReloadingSslContext tls,
            io.cairn.node.auth.Authenticator auth, EventLoopGroup boss, EventLoopGroup workers) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NettyTransport.serverSocketChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.current().newHandler(ch.alloc()));
                        }
                        ch.pipeline()
                                .addLast("frames", new ClientFrameDecoder(limits.maxFrameBytes()))
                                .addLast("requests", new RequestDecoder())
                                .addLast("encoder", new FramedProtobufEncoder())
                                .addLast("handler", new ClientChannelHandler(kv, limits, auth));
                    }
                });
        Channel ch = b.bind(addr).sync().channel();
        return new ClientServer(ch);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
