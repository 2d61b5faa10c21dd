package io.cairn.node.server;

import com.google.protobuf.UnsafeByteOperations;
import io.cairn.proto.Msg.Response;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A stream sent to one client as responses to one tag, {@code chunk} bytes each, at the pace the
 * client reads: once the connection holds more than {@code window} bytes not yet written to its
 * socket, the writer waits. A client that reads nothing for {@code stall}, or whose connection
 * closes, ends the stream with an IOException that says which. Written from one thread that may
 * block (not a member's loop, not an event loop).
 */
final class ResponseChunks extends OutputStream {
    private final Responder out;
    private final int tag;
    private final int chunk;
    private final long window;
    private final long stallNanos;
    private final BooleanSupplier closed;
    private byte[] buf;
    private int fill;
    private long sent;

    ResponseChunks(Responder out, int tag, int chunk, long window, long stallNanos, BooleanSupplier closed) {
        this.out = out;
        this.tag = tag;
        this.chunk = chunk;
        this.window = window;
        this.stallNanos = stallNanos;
        this.closed = closed;
        this.buf = new byte[chunk];
    }

    @Override
    public void write(int b) throws IOException {
        buf[fill++] = (byte) b;
        if (fill == chunk) {
            sendChunk();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, chunk - fill);
            System.arraycopy(b, off, buf, fill, n);
            fill += n;
            off += n;
            len -= n;
            if (fill == chunk) {
                sendChunk();
            }
        }
    }

    /** Sends what is buffered (the last, shorter chunk). */
    @Override
    public void flush() throws IOException {
        if (fill > 0) {
            sendChunk();
        }
    }

    /** Bytes sent so far. */
    long sent() {
        return sent;
    }

    private void sendChunk() throws IOException {
        awaitRoom();
        // The array goes out as it is (a new one is taken for what follows), not copied.
        out.send(Response.newBuilder().setTag(tag).setFlags(Responses.VALID).setValue(UnsafeByteOperations.unsafeWrap(buf, 0, fill)).build());
        sent += fill;
        buf = new byte[chunk];
        fill = 0;
    }

    private void awaitRoom() throws IOException {
        long pending = out.pendingBytes();
        long progressAt = System.nanoTime();
        while (true) {
            if (closed.getAsBoolean()) {
                throw new IOException("the client's connection closed after " + sent + " bytes");
            }
            if (pending <= window) {
                return;
            }
            if (System.nanoTime() - progressAt > stallNanos) {
                throw new IOException("the client read nothing for " + TimeUnit.NANOSECONDS.toSeconds(stallNanos) + " s after "
                        + sent + " bytes");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            long now = out.pendingBytes();
            if (now < pending) {
                progressAt = System.nanoTime();
            }
            pending = now;
        }
    }
}
