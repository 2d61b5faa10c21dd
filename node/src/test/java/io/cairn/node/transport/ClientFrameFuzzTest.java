package io.cairn.node.transport;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target: the client port's framing ({@link ClientFrameDecoder}, then {@link RequestDecoder}).
 *
 * <p>Two properties. Any bytes, cut anywhere: the only failure is a {@link CorruptedFrameException}
 * (after which the member closes the connection), and everything that comes out is a frame within
 * the limit, an oversized-request marker, a Request or a malformed-frame marker. And honest frames
 * of any payloads, cut anywhere: they come out whole and in order, each oversized one as a marker
 * carrying its request's tag, with the stream still in step after it.
 */
public class ClientFrameFuzzTest {
    private static final int MAX = 256;

    @FuzzTest
    void frames(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            anyBytes(data);
        } else {
            honestFrames(data);
        }
    }

    private static void anyBytes(FuzzedDataProvider data) {
        EmbeddedChannel ch = new EmbeddedChannel(new ClientFrameDecoder(MAX), new RequestDecoder());
        try {
            while (data.remainingBytes() > 0) {
                byte[] chunk = data.consumeBytes(data.consumeInt(1, 64));
                try {
                    ch.writeInbound(Unpooled.wrappedBuffer(chunk));
                } catch (DecoderException e) {
                    if (e.getCause() instanceof CorruptedFrameException || e instanceof CorruptedFrameException) {
                        return; // refused: the member answers and closes
                    }
                    throw e;
                }
                for (Object o; (o = ch.readInbound()) != null; ) {
                    if (!(o instanceof io.cairn.proto.Msg.Request) && !(o instanceof RequestDecoder.Malformed)
                            && !(o instanceof ClientFrameDecoder.Oversized)) {
                        throw new AssertionError("unexpected output " + o.getClass());
                    }
                }
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static void honestFrames(FuzzedDataProvider data) {
        List<byte[]> payloads = new ArrayList<>();
        List<Integer> tags = new ArrayList<>();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        int n = data.consumeInt(1, 6);
        for (int i = 0; i < n; i++) {
            byte[] p;
            Integer tag = null;
            if (data.consumeInt(0, 3) == 0) {
                // Over the limit: it starts as a Request does (its tag first), then anything.
                tag = data.consumeInt();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                try {
                    CodedOutputStream out = CodedOutputStream.newInstance(head);
                    out.writeInt32(1, tag);
                    out.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                byte[] rest = new byte[MAX + 1 + data.consumeInt(0, 300)];
                p = Arrays.copyOf(head.toByteArray(), rest.length);
            } else {
                p = data.consumeBytes(data.consumeInt(0, MAX));
            }
            payloads.add(p);
            tags.add(tag);
            stream.writeBytes(new byte[] {(byte) (p.length >>> 24), (byte) (p.length >>> 16), (byte) (p.length >>> 8), (byte) p.length});
            stream.writeBytes(p);
        }
        byte[] all = stream.toByteArray();
        EmbeddedChannel ch = new EmbeddedChannel(new ClientFrameDecoder(MAX));
        List<Object> got = new ArrayList<>();
        try {
            int at = 0;
            while (at < all.length) {
                int len = Math.min(all.length - at, data.remainingBytes() > 0 ? data.consumeInt(1, 97) : all.length);
                ch.writeInbound(Unpooled.wrappedBuffer(all, at, len));
                at += len;
                for (Object o; (o = ch.readInbound()) != null; ) {
                    got.add(o);
                }
            }
            if (got.size() != payloads.size()) {
                throw new AssertionError(payloads.size() + " frames sent, " + got.size() + " came out");
            }
            for (int i = 0; i < payloads.size(); i++) {
                Object o = got.get(i);
                byte[] p = payloads.get(i);
                if (p.length > MAX) {
                    if (!(o instanceof ClientFrameDecoder.Oversized ov) || !tags.get(i).equals(ov.tag()) || ov.length() != p.length) {
                        throw new AssertionError("frame " + i + " of " + p.length + " bytes with tag " + tags.get(i) + " came out as " + o);
                    }
                } else {
                    ByteBuf b = (ByteBuf) o;
                    byte[] out = new byte[b.readableBytes()];
                    b.readBytes(out);
                    b.release();
                    if (!Arrays.equals(out, p)) {
                        throw new AssertionError("frame " + i + " changed on the way");
                    }
                }
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
