package io.cairn.node.log;

import com.google.protobuf.CodedOutputStream;
import io.cairn.node.store.EncoderRoom;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A snapshot's bytes on their way to a stream, encoded a piece at a time into one reusable chunk
 * by protobuf's array encoder, the chunk written out whenever the next piece would not fit. A
 * piece larger than the chunk gets an array of its own.
 */
public final class SnapshotOutput implements EncoderRoom {
    static final int CHUNK = 1 << 16;

    private final OutputStream sink;
    private final byte[] chunk;
    private byte[] buf;
    private CodedOutputStream coded;

    public SnapshotOutput(OutputStream sink) {
        this(sink, CHUNK);
    }

    /** With a chunk of {@code chunkBytes} (tests cross its edges with small ones). */
    public SnapshotOutput(OutputStream sink, int chunkBytes) {
        if (chunkBytes < 1) {
            throw new IllegalArgumentException("a chunk of " + chunkBytes + " bytes");
        }
        this.sink = sink;
        this.chunk = new byte[chunkBytes];
        this.buf = chunk;
        this.coded = CodedOutputStream.newInstance(chunk);
    }

    @Override
    public CodedOutputStream room(int bytes) throws IOException {
        if (bytes < 0) {
            throw new IllegalArgumentException("no room for " + bytes + " bytes");
        }
        if (coded.spaceLeft() < bytes) {
            flush();
            if (bytes > chunk.length) {
                buf = new byte[bytes];
                coded = CodedOutputStream.newInstance(buf);
            }
        }
        return coded;
    }

    /**
     * The stream itself, everything encoded so far written to it first: for a message whose
     * size is unknown or too large for an array (a snapshot installed from the leader, whole).
     */
    public OutputStream stream() throws IOException {
        flush();
        return sink;
    }

    /** Writes what is encoded to the stream (it does not flush the stream). */
    public void flush() throws IOException {
        int n = coded.getTotalBytesWritten();
        if (n > 0) {
            sink.write(buf, 0, n);
        }
        if (n > 0 || buf != chunk) {
            buf = chunk;
            coded = CodedOutputStream.newInstance(chunk);
        }
    }
}
