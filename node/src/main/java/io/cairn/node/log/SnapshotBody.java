package io.cairn.node.log;

import com.google.protobuf.CodedOutputStream;
import io.cairn.proto.Peer.SnapshotFile;
import java.io.IOException;

/**
 * A snapshot to save: the bytes of a {@link SnapshotFile}, written to a stream. A member's own
 * periodic snapshot is written field by field from its tree's capture (the replica's
 * {@code Snapshotter}), so a million files are never one message on the heap; the file is byte
 * for byte the message's encoding either way.
 */
public interface SnapshotBody {
    long slot();

    /** Writes the {@link SnapshotFile} encoding; {@code out} is flushed after. */
    void writeTo(SnapshotOutput out) throws IOException;

    /** The encoding as bytes (for a disk that keeps them in memory, the simulator's). */
    default byte[] toByteArray() throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        SnapshotOutput out = new SnapshotOutput(bytes);
        writeTo(out);
        out.flush();
        return bytes.toByteArray();
    }

    /** A snapshot already built (one installed from the leader). */
    static SnapshotBody of(SnapshotFile snap) {
        return new SnapshotBody() {
            @Override
            public long slot() {
                return snap.getSlot();
            }

            @Override
            public void writeTo(SnapshotOutput out) throws IOException {
                // Whole, through a stream: it can be as large as the tree. This is the one
                // snapshot written with protobuf's stream encoder, on a member catching up.
                CodedOutputStream coded = CodedOutputStream.newInstance(out.stream(), SnapshotOutput.CHUNK);
                snap.writeTo(coded);
                coded.flush();
            }
        };
    }
}
