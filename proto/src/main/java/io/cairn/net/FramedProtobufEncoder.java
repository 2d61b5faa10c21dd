package io.cairn.net;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;

/**
 * Writes a protobuf message as one frame: a 4-byte big-endian length, then the message, encoded
 * straight into one buffer from the channel's pool. It stands for Netty's
 * {@code LengthFieldPrepender(4)} and {@code ProtobufEncoder} in a row, which put the same bytes
 * on the wire but through a fresh heap array per message ({@code toByteArray}) and a header
 * buffer of its own, both then copied into direct memory for the socket: under write load a
 * member's largest allocation, and young-collection work it need not do.
 */
@Sharable
public final class FramedProtobufEncoder extends MessageToByteEncoder<MessageLite> {
    public FramedProtobufEncoder() {
        super(MessageLite.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, MessageLite msg, boolean preferDirect) {
        // A message memoises its size, so asking here and again in encode costs one pass.
        return ctx.alloc().ioBuffer(4 + msg.getSerializedSize());
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, MessageLite msg, ByteBuf out) throws IOException {
        int size = msg.getSerializedSize();
        out.ensureWritable(4 + size);
        out.writeInt(size);
        int at = out.writerIndex();
        // One contiguous buffer (allocateBuffer sized it): the message is written in place.
        CodedOutputStream cos = CodedOutputStream.newInstance(out.internalNioBuffer(at, size));
        msg.writeTo(cos);
        cos.checkNoSpaceLeft();
        out.writerIndex(at + size);
    }
}
