package io.cairn.node.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.cairn.net.FramedProtobufDecoder;
import io.cairn.net.FramedProtobufEncoder;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Peer.Ballot;
import io.cairn.proto.Peer.PeerMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FramedProtobufCodecTest {
    static final Random RANDOM = new Random(7);

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    static final List<MessageLite> MESSAGES = List.of(
            Response.getDefaultInstance(), // an empty message is a bare zero length
            Response.newBuilder().setTag(7).setRev(123_456_789L).build(),
            Response.newBuilder().setTag(1).setValue(ByteString.copyFrom(bytes(256))).build(),
            Response.newBuilder().setTag(2).setValue(ByteString.copyFrom(bytes(200_000))).build(),
            PeerMessage.newBuilder().setFrom(1).setTo(3).setBallot(Ballot.newBuilder().setRound(9).setNode(1)).build());

    /** What went out on the wire, one buffer per message, as bytes. */
    static byte[] wire(EmbeddedChannel ch, MessageLite m) {
        assertThat(ch.writeOutbound(m)).isTrue();
        ByteBuf out = Unpooled.buffer();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            out.writeBytes(b);
            b.release();
        }
        return ByteBufUtil.getBytes(out);
    }

    @Test
    void putsTheSameBytesOnTheWireAsNettysPrependerAndEncoder() {
        EmbeddedChannel ours = new EmbeddedChannel(new FramedProtobufEncoder());
        EmbeddedChannel netty = new EmbeddedChannel(new LengthFieldPrepender(4), new ProtobufEncoder());
        for (MessageLite m : MESSAGES) {
            byte[] got = wire(ours, m);
            assertThat(got).isEqualTo(wire(netty, m));
            assertThat(got).hasSize(4 + m.getSerializedSize());
        }
    }

    @Test
    void framesDecodeBackToTheMessagesFromDirectAndHeapBuffersAsNettysDecoderDoes() {
        List<Response> sent = MESSAGES.stream().filter(Response.class::isInstance).map(Response.class::cast).toList();
        for (boolean direct : new boolean[] {true, false}) {
            EmbeddedChannel out = new EmbeddedChannel(new FramedProtobufEncoder());
            out.config().setAllocator(new UnpooledByteBufAllocator(direct));
            sent.forEach(out::writeOutbound);
            ByteBuf stream = direct ? Unpooled.directBuffer() : Unpooled.buffer();
            for (ByteBuf b; (b = out.readOutbound()) != null; ) {
                stream.writeBytes(b);
                b.release();
            }
            EmbeddedChannel ours = new EmbeddedChannel(new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 4),
                    new FramedProtobufDecoder<>(Response.parser()));
            EmbeddedChannel netty = new EmbeddedChannel(new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 4),
                    new ProtobufDecoder(Response.getDefaultInstance()));
            // Arrives as one stream cut at arbitrary points, as TCP would.
            while (stream.isReadable()) {
                ByteBuf piece = stream.readRetainedSlice(Math.min(stream.readableBytes(), 1 + RANDOM.nextInt(5000)));
                netty.writeInbound(piece.retainedDuplicate());
                ours.writeInbound(piece);
            }
            for (Response r : sent) {
                Response got = ours.readInbound();
                assertThat(got).isEqualTo(r).isEqualTo(netty.readInbound());
            }
            assertThat((Object) ours.readInbound()).isNull();
            stream.release();
        }
    }

    @Test
    void aFrameThatIsNotTheMessageFailsToDecode() {
        EmbeddedChannel ours = new EmbeddedChannel(new FramedProtobufDecoder<>(PeerMessage.parser()));
        ByteBuf junk = Unpooled.directBuffer().writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ours.writeInbound(junk))
                .isInstanceOf(io.netty.handler.codec.DecoderException.class)
                .hasCauseInstanceOf(com.google.protobuf.InvalidProtocolBufferException.class);
    }
}
