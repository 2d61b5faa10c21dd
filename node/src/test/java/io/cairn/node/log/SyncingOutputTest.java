package io.cairn.node.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncingOutputTest {

    @Test
    void syncsAfterEachSoManyBytesWithEverythingBeforeThemWritten() throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        List<Integer> syncedAt = new ArrayList<>();
        try (SyncingOutput out = new SyncingOutput(file, () -> syncedAt.add(file.size()), 1000)) {
            byte[] chunk = new byte[300];
            for (int i = 0; i < 10; i++) {
                out.write(chunk, 0, chunk.length);
            }
            out.write(7);
            // 3,001 bytes: synced once 1,000 or more were waiting (after 1,200, then 2,400); the rest waits for the caller's own sync.
            assertThat(syncedAt).containsExactly(1200, 2400);
        }
        assertThat(file.size()).isEqualTo(3001);
    }

    @Test
    void aFailedSyncIsTheWritersFailure() {
        SyncingOutput out = new SyncingOutput(new ByteArrayOutputStream(), () -> {
            throw new IOException("disk gone");
        }, 10);
        assertThatThrownBy(() -> out.write(new byte[10], 0, 10)).isInstanceOf(IOException.class).hasMessage("disk gone");
        assertThatThrownBy(() -> new SyncingOutput(new ByteArrayOutputStream(), () -> { }, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
