package io.cairn.node.replica;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.cairn.node.log.SnapshotBody;
import io.cairn.node.log.SnapshotOutput;
import io.cairn.node.paxos.Ready;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.SnapshotFile;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a replica snapshots, and the save: counts the log entries applied since the last
 * snapshot, captures the state on the loop once enough have been, and has the storage encode,
 * write and sync it in the background. Once the snapshot is durable the replica is told, on the
 * loop, so it can tell the core and cut the log; never before, or a crash in between would lose
 * the entries the snapshot was to hold. One save at a time: a snapshot due while one is being
 * saved waits for the next entry applied after it.
 */
final class Snapshotter {
    private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);

    private final long id;
    private final long every;
    private final ReplicaStorage storage;
    private final ReplicaClock clock;
    private final Consumer<Runnable> onLoop;
    private final LongConsumer saved;
    private final Counter snapshots;
    private final Histogram seconds;
    /**
     * Log entries (proposals, or one for an empty slot) applied since the last snapshot: what
     * snapshots are counted in. A slot batches many writes under load, and the log in memory
     * holds every one of them until a snapshot; counted in slots, it grew to the better part of a
     * gigabyte under the benchmark's write load, and young collections copying it ran to tens of
     * milliseconds.
     */
    private long entriesSince;
    private boolean saving;

    /**
     * @param every entries between snapshots
     * @param onLoop runs a task on the replica's loop
     * @param saved told, on the loop, the slot of each snapshot once it is durable
     */
    Snapshotter(long id, long every, ReplicaStorage storage, ReplicaClock clock, Consumer<Runnable> onLoop,
            LongConsumer saved, Counter snapshots, Histogram seconds) {
        this.id = id;
        this.every = every;
        this.storage = storage;
        this.clock = clock;
        this.onLoop = onLoop;
        this.saved = saved;
        this.snapshots = snapshots;
        this.seconds = seconds;
        // Members apply the same entries, so with the same count they would all snapshot at once:
        // in the benchmark three snapshot threads then took the two cores from the members for
        // most of a second (a 300-470 ms stall). Starting the count a third or two thirds of the
        // way along, by id, spreads them out for good (each then counts from zero again), and
        // only ever brings a snapshot earlier.
        this.entriesSince = Math.floorMod(id - 1, 3) * every / 3;
    }

    /** Counts a slot applied with {@code proposals} proposals in it (an empty slot counts one). */
    void count(int proposals) {
        entriesSince += Math.max(1, proposals);
    }

    /** Whether enough entries were applied since the last snapshot to take the next. */
    boolean due() {
        return entriesSince >= every;
    }

    /** The state was replaced by a snapshot from the leader: counting starts again from it. */
    void restarted() {
        entriesSince = 0;
    }

    /**
     * Captures the state at {@code slot} on the loop (lists and references, see
     * {@link VersionedTree#capture}), then encodes, writes and syncs it on the storage's snapshot
     * thread: a snapshot of a large history takes long enough to write, and to encode, that doing
     * either on the loop stalled it (found by the benchmark). Nothing when a save is in flight.
     */
    void take(long slot, VersionedTree tree, List<Member> members) {
        if (saving) {
            return;
        }
        long began = clock.nowMs();
        VersionedTree.Capture capture = tree.capture(0);
        long copyMs = clock.nowMs() - began;
        long rev = tree.rev();
        int files = tree.fileCount();
        saving = true;
        entriesSince = 0;
        long[] writing = new long[1];
        storage.saveSnapshot(() -> {
            writing[0] = clock.nowMs();
            return streamed(slot, capture, members);
        }, failure -> {
            long writeMs = clock.nowMs() - writing[0];
            onLoop.accept(() -> finished(slot, rev, files, copyMs, writeMs, failure));
        });
    }

    private void finished(long slot, long rev, int files, long copyMs, long writeMs, IOException failure) {
        saving = false;
        if (failure != null) {
            log.warn("member {}: could not save a snapshot at slot {}: {}", id, slot, failure.getMessage());
            return;
        }
        snapshots.inc();
        seconds.observe((copyMs + writeMs) / 1e3);
        saved.accept(slot);
        log.info("member {}: snapshot at slot {} (rev {}, {} files; captured in {} ms, encoded and written in {} ms); log truncated",
                id, slot, rev, files, copyMs, writeMs);
    }

    /**
     * {@code SnapshotFile{slot, tree, members}}, its tree written entry by entry from the capture
     * as the file is written: built whole, a million files' snapshot was a second copy of the
     * tree's entries on the heap while it was written.
     */
    static SnapshotBody streamed(long slot, VersionedTree.Capture capture, List<Member> members) {
        return new SnapshotBody() {
            @Override
            public long slot() {
                return slot;
            }

            @Override
            public void writeTo(SnapshotOutput out) throws IOException {
                // Field by field in number order, as protobuf writes the message: the same bytes.
                CodedOutputStream head = out.room(30); // an int64 field (15 bytes at most), a tag (5) and a length (10)
                head.writeInt64(SnapshotFile.SLOT_FIELD_NUMBER, slot);
                head.writeTag(SnapshotFile.TREE_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                head.writeUInt64NoTag(capture.serializedSize());
                capture.writeTo(out);
                for (Member m : members) {
                    out.room(CodedOutputStream.computeMessageSize(SnapshotFile.MEMBERS_FIELD_NUMBER, m))
                            .writeMessage(SnapshotFile.MEMBERS_FIELD_NUMBER, m);
                }
            }
        };
    }

    /** The state at {@code slot} as one snapshot, encoded at once (to send to a member behind). */
    static SnapshotFile of(long slot, VersionedTree tree, List<Member> members) {
        return SnapshotFile.newBuilder().setSlot(slot).setTree(tree.snapshot(0)).addAllMembers(members).build();
    }

    /** The snapshot a leader sent. */
    static SnapshotFile parse(long id, Ready.InstallSnapshot s) {
        try {
            // Aliasing: the values share the received bytes rather than being copied (a million
            // 1 KiB values are a GiB; the tree copies them once anyway).
            com.google.protobuf.CodedInputStream in = s.data().newCodedInput();
            in.enableAliasing(true);
            SnapshotFile snap = SnapshotFile.parseFrom(in);
            in.checkLastTagWas(0);
            return snap;
        } catch (IOException e) {
            throw new IllegalStateException("member " + id + ": leader sent an unreadable snapshot", e);
        }
    }
}
