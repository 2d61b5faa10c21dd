package io.cairn.node.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.proto.Peer.Ballot;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.Peer.WalRecord;
import io.cairn.proto.State.Snapshot;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalTest {
    @TempDir
    Path dir;

    static List<WalRecord> records(int n) {
        List<WalRecord> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(WalRecord.newBuilder().setAccepted(SlotEntry.newBuilder().setSlot(i)
                    .setBallot(Ballot.newBuilder().setRound(1).setNode(1))).build());
        }
        return out;
    }

    private Path onlySegment() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("wal-")).findFirst().orElseThrow();
        }
    }

    /** Opens the log, appends {@code n} records, syncs and closes it. */
    private void writeAndClose(int n) throws IOException {
        try (Wal w = Wal.open(dir)) {
            w.append(records(n));
            w.sync();
        }
    }

    /** Where the records of a segment end: the zeros written ahead of them start there. */
    private static long recordsEnd(Path seg) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(seg));
        int pos = 0;
        while (pos + Wal.HEADER <= b.limit() && b.getInt(pos) != 0) {
            pos += Wal.HEADER + b.getInt(pos);
        }
        return pos;
    }

    @Test
    void segmentsGrowAheadOfTheirRecordsWithZeros() throws IOException {
        writeAndClose(3);
        Path seg = onlySegment();
        long end = recordsEnd(seg);
        assertThat(Files.size(seg)).isGreaterThanOrEqualTo(end + Wal.PREALLOCATE_BYTES);
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).hasSize(3);
            assertThat(w.tornTailCut()).isFalse();
            // Past the end of the zeros: the segment grows again, the records stay in order.
            w.append(records((int) (Wal.PREALLOCATE_BYTES / 10)));
            w.sync();
        }
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).hasSize(3 + (int) (Wal.PREALLOCATE_BYTES / 10));
            assertThat(w.recovered().get(3).getAccepted().getSlot()).isEqualTo(1);
            assertThat(w.tornTailCut()).isFalse();
        }
    }

    @Test
    void recordsComeBackInOrder() throws IOException {
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).isEmpty();
            w.append(records(3));
            w.sync();
            w.append(List.of(WalRecord.newBuilder().setCommit(3).build()));
            w.sync();
        }
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).hasSize(4);
            assertThat(w.recovered().get(3).getCommit()).isEqualTo(3);
            assertThat(w.tornTailCut()).isFalse();
            w.append(records(1));
            w.sync();
        }
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).hasSize(5);
        }
    }

    @Test
    void tornTailIsCut() throws IOException {
        writeAndClose(10);
        Path seg = onlySegment();
        long end = recordsEnd(seg);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(end - 3);
            f.write(new byte[3]); // the last record lost its final bytes: the zeros ahead show through
        }
        try (Wal w = Wal.open(dir)) {
            assertThat(w.tornTailCut()).isTrue();
            assertThat(w.recovered()).hasSize(9);
            w.append(records(1));
            w.sync();
        }
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).hasSize(10);
            assertThat(w.tornTailCut()).isFalse();
        }
        // A log whose file ends with its records (no zeros ahead), cut short.
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.setLength(recordsEnd(seg) - 3);
        }
        try (Wal w = Wal.open(dir)) {
            assertThat(w.tornTailCut()).isTrue();
            assertThat(w.recovered()).hasSize(9);
        }
    }

    @Test
    void halfWrittenHeaderAndGarbageTailAreCut() throws IOException {
        writeAndClose(4);
        Path seg = onlySegment();
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.setLength(recordsEnd(seg));
        }
        Files.write(seg, new byte[] {0, 0, 7}, java.nio.file.StandardOpenOption.APPEND);
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).hasSize(4);
            assertThat(w.tornTailCut()).isTrue();
        }
        // A final record whose bytes were scrambled (written but not synced before the crash).
        long end = recordsEnd(seg);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(end - 2);
            f.write(new byte[] {0x55, 0x55});
        }
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).hasSize(3);
            assertThat(w.tornTailCut()).isTrue();
        }
        // A header that never reached the disk (zeros) with a later page that did.
        writeAndClose(2);
        long before = recordsEnd(seg);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(before + 4096);
            f.write(new byte[] {1, 2, 3});
        }
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).hasSize(5);
            assertThat(w.tornTailCut()).isTrue();
        }
    }

    @Test
    void corruptionInTheMiddleStopsWithAClearMessage() throws IOException {
        writeAndClose(10);
        Path seg = onlySegment();
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(Wal.HEADER + 2); // inside the first record's payload
            f.write(0x7f);
        }
        assertThatThrownBy(() -> Wal.open(dir)).isInstanceOf(WalCorruptException.class)
                .hasMessageContaining("corrupt record in the middle").hasMessageContaining("offset 0");
        // Nothing was cut: the file is left as it was for a person to look at.
        assertThat(Files.size(seg)).isGreaterThan(0);
    }

    @Test
    void rewriteKeepsOnlyWhatItIsGiven() throws IOException {
        try (Wal w = Wal.open(dir)) {
            w.append(records(20));
            w.sync();
            w.rewrite(records(2));
            w.append(List.of(WalRecord.newBuilder().setCommit(2).build()));
            w.sync();
        }
        try (Wal w = Wal.open(dir)) {
            assertThat(w.recovered()).hasSize(3);
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("wal-")).count()).isEqualTo(1);
        }
    }

    @Test
    void snapshotsAreWholeOrAbsent() throws IOException {
        SnapshotStore store = new SnapshotStore(dir.resolve("snap"));
        assertThat(store.loadLatest()).isNull();
        store.save(SnapshotFile.newBuilder().setSlot(5).setTree(Snapshot.newBuilder().setRev(3)).build());
        store.save(SnapshotFile.newBuilder().setSlot(9).setTree(Snapshot.newBuilder().setRev(7)).build());
        assertThat(store.loadLatest().getSlot()).isEqualTo(9);
        Path newest;
        try (Stream<Path> s = Files.list(dir.resolve("snap"))) {
            List<Path> files = s.toList();
            assertThat(files).hasSize(1);
            newest = files.get(0);
        }
        Files.write(newest, new byte[] {1, 2, 3, 4, 5});
        assertThat(store.loadLatest()).isNull();
    }
}
