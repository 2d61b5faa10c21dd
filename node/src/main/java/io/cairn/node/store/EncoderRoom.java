package io.cairn.node.store;

import com.google.protobuf.CodedOutputStream;
import java.io.IOException;

/**
 * Where an encoding goes one piece at a time: an encoder with room for the next piece's bytes.
 * A snapshot's writer hands out array encoders over one reusable chunk, so encoding a snapshot
 * uses the same kind of {@link CodedOutputStream} as the WAL's records; a stream encoder, used
 * for snapshots before, made the write path's shared encoding calls polymorphic, and the JIT
 * threw that compiled code away at a member's first snapshot.
 */
@FunctionalInterface
public interface EncoderRoom {
    /** An encoder with at least {@code bytes} bytes free. */
    CodedOutputStream room(int bytes) throws IOException;
}
