package io.cairn.node.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotOutputTest {
    /** Counts the writes that reach the stream, and their sizes. */
    private static final class Writes extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Integer> sizes = new ArrayList<>();

        @Override
        public void write(int b) {
            bytes.write(b);
            sizes.add(1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
            sizes.add(len);
        }
    }

    @Test
    void piecesGoOutAChunkAtATimeAndALargerPieceWhole() throws Exception {
        Writes sink = new Writes();
        SnapshotOutput out = new SnapshotOutput(sink, 10);
        out.room(4).writeRawBytes(new byte[] {1, 2, 3, 4});
        out.room(4).writeRawBytes(new byte[] {5, 6, 7, 8});
        assertThat(sink.sizes).as("both fit in one chunk").isEmpty();
        out.room(4).writeRawBytes(new byte[] {9, 10, 11, 12});
        assertThat(sink.sizes).containsExactly(8);
        byte[] large = new byte[25];
        large[24] = 42;
        out.room(25).writeRawBytes(large);
        assertThat(sink.sizes).as("the piece before it went out first").containsExactly(8, 4);
        out.room(1).writeRawBytes(new byte[] {99});
        out.flush();
        assertThat(sink.sizes).containsExactly(8, 4, 25, 1);
        byte[] all = sink.bytes.toByteArray();
        assertThat(all).hasSize(38);
        assertThat(all[11]).isEqualTo((byte) 12);
        assertThat(all[36]).isEqualTo((byte) 42);
        assertThat(all[37]).isEqualTo((byte) 99);
    }

    @Test
    void theStreamGetsWhatWasEncodedBeforeIt() throws Exception {
        Writes sink = new Writes();
        SnapshotOutput out = new SnapshotOutput(sink, 64);
        out.room(15).writeInt64(1, 300);
        CodedOutputStream whole = CodedOutputStream.newInstance(out.stream());
        whole.writeString(2, "after");
        whole.flush();
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        CodedOutputStream ref = CodedOutputStream.newInstance(want);
        ref.writeInt64(1, 300);
        ref.writeString(2, "after");
        ref.flush();
        assertThat(sink.bytes.toByteArray()).isEqualTo(want.toByteArray());
    }

    @Test
    void flushingTwiceWritesNothingTwice() throws Exception {
        Writes sink = new Writes();
        SnapshotOutput out = new SnapshotOutput(sink, 16);
        out.room(2).writeRawBytes(new byte[] {1, 2});
        out.flush();
        out.flush();
        assertThat(sink.sizes).containsExactly(2);
    }

    @Test
    void aNegativeRoomOrChunkIsRefused() {
        assertThatThrownBy(() -> new SnapshotOutput(new ByteArrayOutputStream(), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SnapshotOutput(new ByteArrayOutputStream()).room(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
