package io.cairn.node.transport;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.proto.Msg.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.io.IOException;
import java.util.List;

/**
 * One frame's bytes to a {@link Request}. A frame that is not a valid Request becomes a {@link
 * Malformed} marker, so the connection handler can answer it and carry on: the framing is intact,
 * only that one message was bad.
 */
final class RequestDecoder extends MessageToMessageDecoder<ByteBuf> {
    record Malformed(String detail) {}

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) throws IOException {
        // From the frame's bytes, not a stream over them: a stream parse allocates a 4 KiB buffer
        // for every request, which was a quarter of what a member allocated under write load.
        try {
            int len = frame.readableBytes();
            out.add(frame.hasArray()
                    ? Request.parseFrom(CodedInputStream.newInstance(frame.array(), frame.arrayOffset() + frame.readerIndex(), len))
                    : Request.parseFrom(ByteBufUtil.getBytes(frame, frame.readerIndex(), len, false)));
        } catch (InvalidProtocolBufferException e) {
            out.add(new Malformed(e.getMessage()));
        }
    }
}
