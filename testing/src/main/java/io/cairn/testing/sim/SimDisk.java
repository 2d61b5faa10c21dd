package io.cairn.testing.sim;

import io.cairn.node.log.SnapshotBody;
import io.cairn.node.replica.ReplicaStorage;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.Peer.WalRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One member's disk under simulation, what {@link io.cairn.node.replica.FileStorage} is to a
 * member: a write-ahead log whose unsynced tail is at the mercy of a crash (a prefix of it
 * survives, the last batch maybe torn), snapshots written atomically, and the disk faults a
 * member must survive or stop cleanly on: a record corrupted in the middle of the log (the
 * restart then fails with the reader's message), and a full disk (the next sync fails). Each
 * start of the member opens it anew ({@link #open}); what an older incarnation queued is dropped.
 */
final class SimDisk {
    /** A write queued for the log: records to append, or the whole log to replace. */
    private record Batch(long position, List<WalRecord> records, boolean replace) {}

    private final EventQueue queue;
    private final Random random;
    private final long member;
    private final List<WalRecord> durable = new ArrayList<>();
    private final List<Batch> unsynced = new ArrayList<>();
    /** Batches a lying drive reported synced: lost, all of them, on a crash. */
    private final List<Batch> cache = new ArrayList<>();
    private SnapshotFile snapshot;
    private int incarnation;
    /** The index of a durable record whose bytes no longer match their checksum, or -1. */
    private int corrupt = -1;
    /** No space left: the next sync fails. */
    boolean full;
    /** Planted (Simulation.Plant.LYING_FSYNC): a sync reports success but writes nothing. */
    boolean fsyncLies;
    /** Planted (Simulation.Plant.SNAPSHOT_SLOT_OFF_BY_ONE): a snapshot is labelled one slot early. */
    boolean snapshotSlotOffByOne;

    SimDisk(EventQueue queue, Random random, long member) {
        this.queue = queue;
        this.random = random;
        this.member = member;
    }

    /** The storage a new incarnation of the member runs on. */
    ReplicaStorage open() {
        return new Storage(++incarnation);
    }

    /** A crash: the current incarnation stops; a prefix of the unsynced writes made it to disk. */
    void crash() {
        incarnation++;
        cache.clear();
        int keep = unsynced.isEmpty() ? 0 : random.nextInt(unsynced.size() + 1);
        for (int i = 0; i < keep; i++) {
            write(unsynced.get(i));
        }
        if (keep < unsynced.size() && !unsynced.get(keep).replace() && random.nextBoolean()) {
            // A torn tail: part of the next batch's records made it, the rest did not.
            List<WalRecord> rs = unsynced.get(keep).records();
            durable.addAll(rs.subList(0, random.nextInt(rs.size() + 1)));
        }
        unsynced.clear();
    }

    /** Damages one durable record (a bad sector, a bit flip): the next restart must notice. */
    void corruptOneRecord() {
        if (!durable.isEmpty()) {
            corrupt = random.nextInt(durable.size());
        }
    }

    boolean corrupted() {
        return corrupt >= 0;
    }

    /** The operator replaced the disk: nothing on it. */
    void wipe() {
        durable.clear();
        cache.clear();
        unsynced.clear();
        snapshot = null;
        corrupt = -1;
        full = false;
    }

    private void write(Batch b) {
        if (b.replace()) {
            durable.clear();
            cache.clear();
            corrupt = -1;
        }
        durable.addAll(b.records());
    }

    private final class Storage implements ReplicaStorage {
        private final int inc;
        private Listener listener;
        private boolean syncing;
        /** Positions count from zero in each process, as a member's do. */
        private long appended;

        Storage(int inc) {
            this.inc = inc;
        }

        private boolean live() {
            return inc == incarnation;
        }

        @Override
        public Recovered recover() throws IOException {
            if (corrupt >= 0) {
                // What the log reader says of a record whose checksum fails before the tail.
                throw new IOException("member " + member + ": log record " + corrupt + " of " + durable.size()
                        + " is corrupt (checksum mismatch before the last record); not a torn tail, refusing to start");
            }
            SnapshotFile s = snapshot;
            if (s != null && snapshotSlotOffByOne && s.getSlot() > 0) {
                s = s.toBuilder().setSlot(s.getSlot() - 1).build();
            }
            return new Recovered(s, List.copyOf(durable), false);
        }

        @Override
        public void start(Listener l) {
            this.listener = l;
        }

        @Override
        public long append(List<WalRecord> records) {
            if (records.isEmpty() || !live()) {
                return appended;
            }
            unsynced.add(new Batch(++appended, List.copyOf(records), false));
            maybeSync();
            return appended;
        }

        @Override
        public long replaceLog(List<WalRecord> records) {
            if (!live()) {
                return appended;
            }
            unsynced.add(new Batch(++appended, List.copyOf(records), true));
            maybeSync();
            return appended;
        }

        /** One fsync at a time, covering everything queued when it starts (group commit). */
        private void maybeSync() {
            if (syncing || unsynced.isEmpty()) {
                return;
            }
            syncing = true;
            long target = appended;
            queue.after(1 + (random.nextInt(10) == 0 ? random.nextInt(30) : random.nextInt(4)), () -> {
                if (!live()) {
                    return;
                }
                if (full) {
                    // As the member's log thread does: it reports the failure once and writes no more.
                    listener.failed(new IOException("No space left on device"));
                    return;
                }
                syncing = false;
                int records = 0;
                while (!unsynced.isEmpty() && unsynced.get(0).position() <= target) {
                    Batch b = unsynced.remove(0);
                    records += b.records().size();
                    if (fsyncLies && !b.replace()) {
                        cache.add(b); // reported durable, still only in the drive's cache
                    } else {
                        write(b);
                    }
                }
                listener.durable(target, records);
                maybeSync();
            });
        }

        @Override
        public void saveSnapshot(Supplier<SnapshotBody> encode, Consumer<IOException> done) {
            queue.after(1 + random.nextInt(20), () -> {
                if (!live()) {
                    return; // the crash came first: the snapshot never reached the disk
                }
                // In order with the installed snapshots saved meanwhile, as the member's one
                // snapshot writer does: a save started before one installed from the leader must
                // not replace it (the first version of this disk let it, and the log after the
                // older snapshot was gone: an accepted value lost, simulator seed 3005925).
                // Through the bytes a member writes, so the simulation runs the real encoding.
                SnapshotFile s;
                try {
                    s = SnapshotFile.parseFrom(encode.get().toByteArray());
                } catch (IOException e) {
                    throw new IllegalStateException("a snapshot that does not read back", e);
                }
                if (snapshot == null || s.getSlot() >= snapshot.getSlot()) {
                    snapshot = s;
                }
                done.accept(null);
            });
        }

        @Override
        public Saved latestSnapshot() {
            SnapshotFile s = snapshot;
            return s == null ? null : new Saved(s.getSlot(), s.toByteString().asReadOnlyByteBuffer());
        }

        @Override
        public void saveInstalledSnapshot(SnapshotFile s) {
            if (live()) {
                snapshot = s;
            }
        }

        @Override
        public void close() {
            incarnation++;
        }
    }
}
