package io.cairn.node.replica;

import io.cairn.node.log.SnapshotBody;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.Peer.WalRecord;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A replica's disk: its write-ahead log and its snapshots. A member's is {@link FileStorage} (a
 * log thread that group-commits, a snapshot thread); the simulator's keeps records in memory and
 * loses what was not synced when it crashes. Positions returned by {@link #append} only grow, so
 * the replica can wait for "durable past my records" across log rewrites.
 */
public interface ReplicaStorage extends AutoCloseable {
    /** What a restart finds: the newest snapshot (or null) and the log records after it. */
    record Recovered(SnapshotFile snapshot, List<WalRecord> log, boolean tornTailCut) {}

    /** Told how far the log is durable. Called from any thread. */
    interface Listener {
        /** Everything appended up to {@code position} is durable; the sync wrote {@code records} records. */
        void durable(long position, int records);

        /** {@link #durable(long, int)}, told how long writing and syncing the batch took. */
        default void durable(long position, int records, long syncNanos) {
            durable(position, records);
        }

        /** The log can no longer be written. */
        void failed(IOException e);
    }

    /** Reads what the disk holds. Once, before {@link #start}. */
    Recovered recover() throws IOException;

    /** Starts writing; durability is reported to {@code listener}. */
    void start(Listener listener);

    /** Queues records for the log; returns the position that covers them (unchanged when empty). */
    long append(List<WalRecord> records);

    /**
     * {@link #append(List)}, saying whether the caller's thread may write and sync the records
     * itself, after the tasks already queued on it, when the log is idle.
     */
    default long append(List<WalRecord> records, boolean onCallerWhenIdle) {
        return append(records);
    }

    /** Queues a log that holds only {@code records} (after a snapshot), in order with appends. */
    long replaceLog(List<WalRecord> records);

    /**
     * Encodes and saves a snapshot in the background, after any save in flight; {@code done}
     * gets null or the failure, from any thread.
     */
    void saveSnapshot(Supplier<SnapshotBody> encode, Consumer<IOException> done);

    /** An encoded {@link SnapshotFile} at {@code slot}, as saved. */
    record Saved(long slot, java.nio.ByteBuffer bytes) {}

    /**
     * The newest snapshot saved and intact, its bytes as saved (to send to a member behind
     * without encoding it again), or null when there is none. Called on the replica's loop.
     */
    Saved latestSnapshot() throws IOException;

    /** Saves a snapshot sent by the leader before anything else is written. Blocks until durable. */
    void saveInstalledSnapshot(SnapshotFile snapshot) throws IOException;

    /** Finishes the writes in flight and releases the files. */
    @Override
    void close();
}
