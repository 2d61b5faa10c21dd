package io.cairn.node.transport;

import com.google.protobuf.CodedInputStream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.io.IOException;
import java.util.List;

/**
 * Cuts the client stream into frames: a 4-byte big-endian length, then that many bytes.
 *
 * <p>A frame over the limit is not a broken stream: its length is honest, only too big. So its
 * first bytes are read for the request's tag (a Request writes field 1, the tag, first), an
 * {@link Oversized} marker goes up the pipeline so the request can be answered TOO_LARGE under
 * its own tag, and the rest of the frame is skipped as it arrives; the connection stays open.
 * Closing instead (as a plain length-field decoder would have us do) reset the connection while
 * the client was still sending, and the client never read the answer: it reported an unknown
 * outcome for a write that had been refused.
 *
 * <p>A length past {@link #MAX_PLAUSIBLE} or a head that is not a Request's is a stream that does
 * not speak this protocol (an HTTP client, garbage): that is a {@link CorruptedFrameException}
 * and the connection is closed after an answer.
 */
final class ClientFrameDecoder extends ByteToMessageDecoder {
    /** The request whose frame was over the limit; {@code tag} is null when it had none. */
    record Oversized(Integer tag, long length) {}

    /** No client sends a frame this big; a length past it is not a length. */
    static final long MAX_PLAUSIBLE = 1L << 30;
    /** Enough of a frame's start for its tag: one key byte and a varint of at most ten. */
    static final int HEAD = 11;

    private final int maxFrame;
    private long skipping;
    /** The stream was refused: what else arrives before the close is dropped, not decoded again. */
    private boolean refused;

    ClientFrameDecoder(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (skipping > 0) {
            skipSome(in);
            return;
        }
        if (in.readableBytes() < 4) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length <= maxFrame) {
            if (in.readableBytes() < 4 + length) {
                return;
            }
            in.skipBytes(4);
            out.add(in.readRetainedSlice((int) length));
            return;
        }
        if (length > MAX_PLAUSIBLE) {
            throw refuse(in, "frame length " + length + " is not plausible");
        }
        if (in.readableBytes() < 4 + HEAD) {
            return;
        }
        in.skipBytes(4);
        Integer tag;
        try {
            tag = leadingTag(in.slice(in.readerIndex(), HEAD));
        } catch (CorruptedFrameException e) {
            throw refuse(in, e.getMessage());
        }
        out.add(new Oversized(tag, length));
        skipping = length;
        skipSome(in);
    }

    /** Skips what has arrived of the oversized frame being passed over. */
    private void skipSome(ByteBuf in) {
        int n = (int) Math.min(skipping, in.readableBytes());
        in.skipBytes(n);
        skipping -= n;
    }

    /** Drops the rest of the stream (it is not decoded again as the connection closes) and says why. */
    private CorruptedFrameException refuse(ByteBuf in, String why) {
        refused = true;
        in.skipBytes(in.readableBytes());
        return new CorruptedFrameException(why);
    }

    /**
     * The tag a Request's encoding starts with, or null when it starts with the verb (a request
     * without a tag). Anything else is not a Request.
     */
    static Integer leadingTag(ByteBuf head) {
        byte[] b = new byte[head.readableBytes()];
        head.getBytes(head.readerIndex(), b);
        CodedInputStream cin = CodedInputStream.newInstance(b);
        try {
            int key = cin.readTag();
            if (key == (1 << 3)) {
                return cin.readInt32();
            }
            if (key == (2 << 3)) {
                return null;
            }
        } catch (IOException e) {
            // fall through: not a Request's start
        }
        throw new CorruptedFrameException("an oversized frame that does not start like a request");
    }
}
