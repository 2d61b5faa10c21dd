package io.cairn.client;

import io.cairn.net.CoalescingWriter;
import io.cairn.net.WriteTrace;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Response;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to one member, multiplexing tagged requests: each outstanding request holds a
 * tag until its last response, so many run at once.
 */
final class Connection {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    /** What waits on a tag. */
    interface Call {
        /** Handles one response; returns true when it was the last for this tag. */
        boolean onResponse(Response r);

        /** The connection closed with this call outstanding. */
        void onLost();
    }

    private final InetSocketAddress endpoint;
    private final Channel channel;
    /** Requests from many threads go out in batches: one event-loop task and flush per batch. */
    private final CoalescingWriter<Request> writer;
    private final Map<Integer, Call> calls = new ConcurrentHashMap<>();
    private final AtomicInteger nextTag = new AtomicInteger();
    /** Why the channel failed, when it said (a TLS alert from the member, say); null otherwise. */
    private volatile String failure;
    private volatile boolean notCairn;

    Connection(InetSocketAddress endpoint, Channel channel) {
        this.endpoint = endpoint;
        this.channel = channel;
        this.writer = new CoalescingWriter<>(channel, null);
    }

    InetSocketAddress endpoint() {
        return endpoint;
    }

    boolean isActive() {
        return channel.isActive();
    }

    /** Sends a request under a fresh tag and returns the tag. */
    int send(Request.Builder req, Call call) {
        int tag;
        do {
            tag = nextTag.updateAndGet(t -> t == Integer.MAX_VALUE ? 1 : t + 1);
        } while (calls.putIfAbsent(tag, call) != null);
        writer.write(req.setTag(tag).build(), 0);
        // A connection that closed before the call was registered will not fail it when it
        // closes (that already happened): fail it here. One that closes later fails it then.
        if (!channel.isActive() && calls.remove(tag) != null) {
            call.onLost();
        }
        return tag;
    }

    /** Stops waiting on a tag (a timed-out request); a late answer is dropped. */
    void forget(int tag) {
        calls.remove(tag);
    }

    void close() {
        channel.close();
    }

    private void received(Response r) {
        if (!r.hasTag()) {
            log.warn("{} sent an untagged error: {} {}", endpoint, r.getErrCode(), r.getErrDetail());
            return;
        }
        Call c = calls.get(r.getTag());
        if (c != null && c.onResponse(r)) {
            calls.remove(r.getTag(), c);
        }
    }

    /** Why the connection failed, when known, or null. */
    String failure() {
        return failure;
    }

    /** The other end answered with something that is not a Cairn frame: it was never a member. */
    boolean notCairn() {
        return notCairn;
    }

    /**
     * Why {@code cause} says the endpoint does not speak Cairn's protocol, or null: its first
     * bytes, read as a frame length, were far over the limit. An HTTP server's answer begins with
     * "HTTP", which is what a client pointed at a member's HTTP port (8048) gets. Netty's own
     * words, "Adjusted frame length exceeds 67108864", told a user nothing.
     */
    static String notCairn(Throwable cause, java.net.SocketAddress remote, String firstBytes) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.netty.handler.codec.TooLongFrameException) {
                String where = remote instanceof InetSocketAddress a ? Endpoints.show(a) : String.valueOf(remote);
                return where + " does not speak the Cairn protocol" + (firstBytes != null && firstBytes.startsWith("HTTP")
                        ? ": it answered in HTTP (a member's HTTP gateway? clients use its client port, 8046 by default)"
                        : ": its answer is not a Cairn frame");
            }
        }
        return null;
    }

    /** Keeps the first bytes a connection receives (for {@link #notCairn}), then leaves the pipeline. */
    static final class FirstBytes extends io.netty.channel.ChannelInboundHandlerAdapter {
        private final Handler handler;

        FirstBytes(Handler handler) {
            this.handler = handler;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof io.netty.buffer.ByteBuf b) {
                handler.firstBytes = b.toString(b.readerIndex(), Math.min(4, b.readableBytes()),
                        java.nio.charset.StandardCharsets.ISO_8859_1);
                ctx.pipeline().remove(this);
            }
            ctx.fireChannelRead(msg);
        }
    }

    private void lost() {
        List<Integer> tags = List.copyOf(calls.keySet());
        for (Integer t : tags) {
            Call c = calls.remove(t);
            if (c != null) {
                c.onLost();
            }
        }
    }

    /** The last handler of the pipeline: responses in, loss of the channel. */
    static final class Handler extends SimpleChannelInboundHandler<Response> {
        private Connection connection;
        /** What the other end sent first (FirstBytes). */
        volatile String firstBytes;

        void bind(Connection c) {
            this.connection = c;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Response r) {
            WriteTrace.mark(WriteTrace.Stage.ANSWER_READ);
            connection.received(r);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (connection != null) {
                connection.lost();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("connection to {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            if (connection != null) {
                String notCairn = notCairn(cause, ctx.channel().remoteAddress(), firstBytes);
                connection.notCairn = notCairn != null;
                connection.failure = notCairn != null ? notCairn : io.cairn.net.Causes.innermost(cause);
            }
            ctx.close();
        }
    }
}
