package io.cairn.node.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.proto.Peer.SnapshotFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
    /**
     * A snapshot being taken when a newer one is installed from the leader must not replace it
     * when it is saved after it: the log before the newer one's slot is already gone (the
     * simulator lost an accepted value this way, seed 3005925, through its own disk).
     */
    @Test
    void anOlderSnapshotNeverReplacesANewerOne(@TempDir Path dir) throws Exception {
        SnapshotStore store = new SnapshotStore(dir);
        store.save(SnapshotFile.newBuilder().setSlot(93).build());
        store.save(SnapshotFile.newBuilder().setSlot(84).build());
        assertThat(store.loadLatest().getSlot()).isEqualTo(93);
        store.save(SnapshotFile.newBuilder().setSlot(120).build());
        assertThat(store.loadLatest().getSlot()).isEqualTo(120);
    }
}
