package io.cairn.node.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.net.FramedProtobufDecoder;
import io.cairn.proto.Msg.Request;
import io.netty.buffer.ByteBuf;
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
        try {
            out.add(Request.parseFrom(FramedProtobufDecoder.input(frame)));
        } catch (InvalidProtocolBufferException e) {
            out.add(new Malformed(e.getMessage()));
        }
    }
}
