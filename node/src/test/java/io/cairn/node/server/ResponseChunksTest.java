package io.cairn.node.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.backup.BackupFile;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.State.Entry;
import io.cairn.proto.State.Snapshot;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A backup's stream of responses: chunked, paced by what the client has read, given up when it reads nothing. */
class ResponseChunksTest {
    /** A connection whose socket takes what the test lets it. */
    private static final class Connection implements Responder {
        final List<Response> sent = new ArrayList<>();
        final AtomicLong pending = new AtomicLong();

        @Override
        public synchronized void send(Response r) {
            sent.add(r);
            pending.addAndGet(r.getValue().size());
        }

        @Override
        public long pendingBytes() {
            return pending.get();
        }
    }

    @Test
    void chunksCarryTheStreamInOrderAndTheLastIsShorter() throws IOException {
        Connection c = new Connection();
        ResponseChunks chunks = new ResponseChunks(c, 7, 4, Long.MAX_VALUE, TimeUnit.SECONDS.toNanos(5), () -> false);
        chunks.write(new byte[] {1, 2, 3});
        chunks.write(4);
        chunks.write(new byte[] {5, 6, 7, 8, 9, 10}, 1, 5);
        chunks.flush();
        assertThat(c.sent).extracting(Response::getTag).containsOnly(7);
        assertThat(c.sent).extracting(r -> r.getValue().toByteArray())
                .containsExactly(new byte[] {1, 2, 3, 4}, new byte[] {6, 7, 8, 9}, new byte[] {10});
        assertThat(chunks.sent()).isEqualTo(9);
    }

    @Test
    void theWriterWaitsWhileTheClientIsBehindAndGoesOnAsItReads() throws Exception {
        Connection c = new Connection();
        ResponseChunks chunks = new ResponseChunks(c, 1, 10, 20, TimeUnit.SECONDS.toNanos(60), () -> false);
        Thread writer = new Thread(() -> {
            try {
                chunks.write(new byte[100]);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        writer.start();
        // Three chunks go out (20 pending is not over the window), then the writer waits.
        while (c.pendingBytes() < 30) {
            Thread.onSpinWait();
        }
        writer.join(300);
        assertThat(writer.isAlive()).as("it waits for the client").isTrue();
        synchronized (c) {
            assertThat(c.sent).hasSize(3);
        }
        while (writer.isAlive()) {
            c.pending.set(0); // the client read everything so far
            writer.join(10);
        }
        assertThat(c.sent).hasSize(10);
    }

    @Test
    void aClientThatReadsNothingOrGoesAwayEndsTheStreamSayingWhich() {
        Connection stalled = new Connection();
        ResponseChunks s = new ResponseChunks(stalled, 1, 10, 5, TimeUnit.MILLISECONDS.toNanos(200), () -> false);
        assertThatThrownBy(() -> s.write(new byte[100])).isInstanceOf(IOException.class)
                .hasMessage("the client read nothing for 0 s after 10 bytes");

        AtomicBoolean closed = new AtomicBoolean();
        Connection gone = new Connection();
        ResponseChunks g = new ResponseChunks(gone, 1, 10, 5, TimeUnit.SECONDS.toNanos(60), closed::get);
        closed.set(true);
        assertThatThrownBy(() -> g.write(new byte[100])).isInstanceOf(IOException.class)
                .hasMessage("the client's connection closed after 0 bytes");
    }

    @Test
    void aStreamedBackupFileIsTheOneEncodedWhole() throws IOException {
        Snapshot s = Snapshot.newBuilder().setRev(9).addFiles(Entry.newBuilder().setPath("/a").setValue(ByteString.copyFromUtf8("x")).setRev(3))
                .setNextSession(4).build();
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        String seal = BackupFile.write(streamed, s.getSerializedSize(), s::writeTo);
        byte[] whole = BackupFile.encode(s);
        assertThat(streamed.toByteArray()).isEqualTo(whole);
        assertThat(BackupFile.decode(streamed.toByteArray()).snapshot()).isEqualTo(s);
        assertThat(seal).isEqualTo(BackupFile.seal(whole));
        assertThat(whole.length).isEqualTo(s.getSerializedSize() + BackupFile.overhead());
        assertThatThrownBy(() -> BackupFile.write(new ByteArrayOutputStream(), s.getSerializedSize() + 1, s::writeTo))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("where its size is");
        assertThatThrownBy(() -> BackupFile.write(new ByteArrayOutputStream(), 3L << 30, s::writeTo))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than one file of 2 GiB holds");
    }
}
