package io.cairn.node.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.State.Entry;
import io.cairn.proto.State.Snapshot;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
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

    /**
     * A snapshot is read through a mapping of its file, its values shared with the mapping: they
     * must come back byte for byte, and stay readable after the file is deleted (the next
     * snapshot deletes it while the tree may still be built from it).
     */
    @Test
    void aMappedSnapshotReadsBackWholeAndOutlivesItsFile(@TempDir Path dir) throws Exception {
        SnapshotStore store = new SnapshotStore(dir);
        Snapshot.Builder tree = Snapshot.newBuilder().setRev(500);
        Random random = new Random(21);
        for (int i = 0; i < 500; i++) {
            byte[] value = new byte[1 + random.nextInt(4096)];
            random.nextBytes(value);
            tree.addFiles(Entry.newBuilder().setPath("/d" + (i % 7) + "/k" + i).setValue(ByteString.copyFrom(value)).setRev(i + 1));
        }
        SnapshotFile written = SnapshotFile.newBuilder().setSlot(700).setTree(tree).build();
        store.save(written);
        SnapshotFile read = store.loadLatest();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        assertThat(read).isEqualTo(written);
        assertThat(read.getTree().getFiles(499).getValue().toByteArray()).isEqualTo(written.getTree().getFiles(499).getValue().toByteArray());
    }

    /**
     * The parsed values point into the mapping, not into copies on the heap: bytes changed in the
     * file after the read show through the value read. (Protobuf copied every value out of a
     * mapped buffer it was not told was immutable, and a member restarting with a GiB of values
     * ran out of heap.) Never done to a real snapshot: its bytes do not change once in place.
     */
    @Test
    void aMappedSnapshotsValuesShareTheMappingInsteadOfTheHeap(@TempDir Path dir) throws Exception {
        SnapshotStore store = new SnapshotStore(dir);
        byte[] value = new byte[4096];
        java.util.Arrays.fill(value, (byte) 'a');
        store.save(SnapshotFile.newBuilder().setSlot(9)
                .setTree(Snapshot.newBuilder().setRev(1).addFiles(Entry.newBuilder().setPath("/k").setValue(ByteString.copyFrom(value)).setRev(1)))
                .build());
        Path file;
        try (var files = Files.list(dir)) {
            file = files.filter(p -> p.getFileName().toString().startsWith("snap-")).findFirst().orElseThrow();
        }
        SnapshotFile read = store.loadLatest();
        byte[] bytes = Files.readAllBytes(file);
        int at = indexOf(bytes, value);
        assertThat(at).isPositive();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("bbbb".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), at + 100);
        }
        assertThat(read.getTree().getFiles(0).getValue().substring(100, 104).toStringUtf8()).isEqualTo("bbbb");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A newest snapshot whose bytes were changed on disk is skipped for the older one before it. */
    @Test
    void aDamagedNewestSnapshotFallsBackToTheOlderOne(@TempDir Path dir) throws Exception {
        Path older = dir.resolve(String.format("snap-%020d.bin", 10));
        SnapshotStore store = new SnapshotStore(dir);
        store.save(SnapshotFile.newBuilder().setSlot(10).setTree(Snapshot.newBuilder().setRev(3)).build());
        Path keep = dir.resolve("keep.bin");
        Files.copy(older, keep);
        store.save(SnapshotFile.newBuilder().setSlot(20).setTree(Snapshot.newBuilder().setRev(9)).build());
        Files.move(keep, older);
        Path newer = dir.resolve(String.format("snap-%020d.bin", 20));
        try (FileChannel ch = FileChannel.open(newer, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x7f}), ch.size() - 1);
        }
        assertThat(store.loadLatest().getSlot()).isEqualTo(10);
    }
}
