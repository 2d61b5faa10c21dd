package io.cairn.node.transport;

import io.cairn.net.CoalescingWriter;
import io.cairn.net.WriteTrace;
import io.cairn.node.auth.Authenticator;
import io.netty.handler.ssl.SslHandler;
import javax.net.ssl.SSLPeerUnverifiedException;
import io.cairn.node.server.KvService;
import io.cairn.node.server.RequestHandler;
import io.cairn.node.server.Responder;
import io.cairn.node.server.Responses;
import io.cairn.node.server.ServerLimits;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.Response.Err;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Connects one client channel to its {@link RequestHandler}. */
final class ClientChannelHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientChannelHandler.class);

    private final KvService kv;
    private final ServerLimits limits;
    private final Authenticator auth;
    private RequestHandler handler;

    ClientChannelHandler(KvService kv, ServerLimits limits, Authenticator auth) {
        this.kv = kv;
        this.limits = limits;
        this.auth = auth;
    }

    /** The certificates the client showed in the TLS handshake; null over plain TCP or without one. */
    static java.security.cert.Certificate[] peerCertificates(Channel ch) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            return null;
        }
        try {
            return tls.engine().getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException none) {
            return null;
        }
    }

    private static final class ChannelResponder implements Responder {
        private final AtomicLong pending = new AtomicLong();
        private final CoalescingWriter<Response> writer;

        ChannelResponder(Channel channel) {
            this.writer = new CoalescingWriter<>(channel, written -> pending.addAndGet(-written));
        }

        @Override
        public void send(Response response) {
            int size = response.getSerializedSize();
            pending.addAndGet(size);
            writer.write(response, size);
        }

        @Override
        public long pendingBytes() {
            return pending.get();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        handler = new RequestHandler(kv, limits, new ChannelResponder(ch), auth, () -> peerCertificates(ch));
        kv.requestObserver().connections(1);
        ch.closeFuture().addListener(f -> kv.requestObserver().connections(-1));
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        WriteTrace.mark(WriteTrace.Stage.REQUEST_READ);
        if (msg instanceof Request req) {
            handler.handle(req);
        } else if (msg instanceof RequestDecoder.Malformed m) {
            handler.malformed(m.detail());
        } else if (msg instanceof ClientFrameDecoder.Oversized o) {
            handler.oversized(o.tag(), o.length());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (handler != null) {
            handler.closed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof CorruptedFrameException) {
            // The stream is not this protocol's (see ClientFrameDecoder): say why, then close this one connection.
            String detail = c.getMessage() + "; closing the connection";
            log.info("client {}: {}", ctx.channel().remoteAddress(), detail);
            ctx.writeAndFlush(Responses.error(null, Err.INVALID, detail)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (c instanceof IOException) {
            log.debug("client {}: {}", ctx.channel().remoteAddress(), c.toString());
        } else {
            log.warn("client {}: closing after unexpected error: {}", ctx.channel().remoteAddress(), c.toString());
        }
        ctx.close();
    }
}
