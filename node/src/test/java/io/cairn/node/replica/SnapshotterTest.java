package io.cairn.node.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.log.SnapshotBody;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.Peer.WalRecord;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import io.prometheus.metrics.core.metrics.Counter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SnapshotterTest {
    /** A disk that keeps each save's work until the test finishes it. */
    private static final class HeldSaves implements ReplicaStorage {
        final List<Supplier<SnapshotBody>> encodes = new ArrayList<>();
        final List<Consumer<IOException>> dones = new ArrayList<>();

        @Override
        public Recovered recover() {
            return new Recovered(null, List.of(), false);
        }

        @Override
        public void start(Listener listener) { }

        @Override
        public long append(List<WalRecord> records) {
            return 0;
        }

        @Override
        public long replaceLog(List<WalRecord> records) {
            return 0;
        }

        @Override
        public void saveSnapshot(Supplier<SnapshotBody> encode, Consumer<IOException> done) {
            encodes.add(encode);
            dones.add(done);
        }

        @Override
        public Saved latestSnapshot() {
            return null;
        }

        @Override
        public void saveInstalledSnapshot(SnapshotFile snapshot) { }

        @Override
        public void close() { }
    }

    private static final ReplicaClock CLOCK = new ReplicaClock() {
        @Override
        public long nowMs() {
            return 0;
        }

        @Override
        public long wallMs() {
            return 0;
        }

        @Override
        public void after(long delayMs, Runnable task) { }

        @Override
        public Timer every(long periodMs, Runnable task) {
            return () -> { };
        }
    };

    private final HeldSaves disk = new HeldSaves();
    private final List<Runnable> loop = new ArrayList<>();
    private final List<Long> saved = new ArrayList<>();
    private final Counter taken = Counter.builder().name("snapshots_test").build();

    private Snapshotter snapshotter(long id, long every) {
        return new Snapshotter(id, every, disk, CLOCK, loop::add, saved::add, taken,
                io.prometheus.metrics.core.metrics.Histogram.builder().name("snapshot_seconds_test").build());
    }

    private static void set(VersionedTree t, String path, String value) {
        t.apply(Command.newBuilder().setTxn(Txn.newBuilder().addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath(path)
                .setValue(ByteString.copyFromUtf8(value)))).build());
    }

    private static VersionedTree treeWith(String path, String value) {
        VersionedTree t = new VersionedTree(StoreConfig.defaults());
        set(t, path, value);
        return t;
    }

    private void runLoop() {
        List<Runnable> tasks = new ArrayList<>(loop);
        loop.clear();
        tasks.forEach(Runnable::run);
    }

    @Test
    void membersStartTheirCountsAThirdApartSoTheyDoNotAllSnapshotAtOnce() {
        Snapshotter first = snapshotter(1, 30);
        Snapshotter second = snapshotter(2, 30);
        Snapshotter third = snapshotter(3, 30);
        List<String> dueAfter = new ArrayList<>();
        for (int slot = 1; slot <= 30; slot++) {
            for (Snapshotter s : List.of(first, second, third)) {
                s.count(1);
            }
            if (third.due() && !dueAfter.contains("3")) {
                dueAfter.add("3");
            }
            if (second.due() && !dueAfter.contains("2")) {
                dueAfter.add("2");
            }
            if (first.due() && !dueAfter.contains("1")) {
                dueAfter.add("1");
            }
        }
        assertThat(dueAfter).containsExactly("3", "2", "1");
    }

    @Test
    void countsEntriesAndAnEmptySlotAsOne() {
        Snapshotter s = snapshotter(1, 10);
        s.count(0);
        s.count(8);
        assertThat(s.due()).isFalse();
        s.count(1);
        assertThat(s.due()).isTrue();
        s.restarted();
        assertThat(s.due()).isFalse();
    }

    @Test
    void reportsASnapshotOnlyOnceDurableAndOnTheLoop() throws Exception {
        Snapshotter s = snapshotter(1, 1);
        VersionedTree tree = treeWith("/a", "1");
        s.count(1);
        s.take(7, tree, List.of(Member.newBuilder().setId(1).build()));
        assertThat(disk.encodes).hasSize(1);
        // The state was captured when taken: a later write does not reach this snapshot.
        set(tree, "/b", "2");
        SnapshotFile file = SnapshotFile.parseFrom(disk.encodes.get(0).get().toByteArray());
        assertThat(file.getSlot()).isEqualTo(7);
        assertThat(file.getMembersCount()).isEqualTo(1);
        VersionedTree restored = VersionedTree.restore(file.getTree(), StoreConfig.defaults());
        assertThat(restored.get("/a", 0)).isNotNull();
        assertThat(restored.fileCount()).isEqualTo(1);
        assertThat(saved).isEmpty();
        disk.dones.get(0).accept(null);
        assertThat(saved).as("not before the loop runs the report").isEmpty();
        runLoop();
        assertThat(saved).containsExactly(7L);
        assertThat(taken.get()).isEqualTo(1);
    }

    @Test
    void oneSaveAtATimeAndAFailedSaveCutsNothing() {
        Snapshotter s = snapshotter(1, 1);
        VersionedTree tree = treeWith("/a", "1");
        s.count(1);
        s.take(3, tree, List.of());
        s.count(1);
        assertThat(s.due()).isTrue();
        s.take(4, tree, List.of());
        assertThat(disk.encodes).as("the second waits for the first").hasSize(1);
        disk.dones.get(0).accept(new IOException("No space left on device"));
        runLoop();
        assertThat(saved).as("a failed save does not let the log be cut").isEmpty();
        assertThat(taken.get()).isZero();
        s.take(5, tree, List.of());
        assertThat(disk.encodes).as("the next may start once the first is over").hasSize(2);
        disk.dones.get(1).accept(null);
        runLoop();
        assertThat(saved).containsExactly(5L);
    }

    @Test
    void aStreamedSnapshotIsTheBuiltOnesBytesWithHistoryAndMembers() throws Exception {
        VersionedTree tree = treeWith("/a", "1");
        for (int i = 0; i < 200; i++) {
            set(tree, "/dir/k" + (i % 37), "v" + i);
        }
        List<Member> members = List.of(Member.newBuilder().setId(1).build(), Member.newBuilder().setId(2).build());
        VersionedTree.Capture capture = tree.capture(0);
        SnapshotFile built = SnapshotFile.newBuilder().setSlot(91).setTree(capture.build()).addAllMembers(members).build();
        assertThat(built.getTree().getHistoryCount()).as("a history to write").isPositive();
        assertThat(Snapshotter.streamed(91, capture, members).toByteArray()).isEqualTo(built.toByteArray());
        assertThat(SnapshotBody.of(built).toByteArray()).isEqualTo(built.toByteArray());
    }
}
