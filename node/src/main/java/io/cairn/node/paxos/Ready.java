package io.cairn.node.paxos;

import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.WalRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * What one call into the core asks the driver to do, in this order: make {@link #records}
 * durable; then send {@link #messages} (they may promise what the records say). Messages never
 * leave before the records of the same or an earlier Ready are on disk, except {@link #early}
 * ones, which promise nothing the records say and leave at once. {@link #committed} entries apply
 * at once, in order (see there).
 */
public final class Ready {
    /** A read confirmed by a quorum: serve it once the state machine has applied {@code index}. */
    public record ReadReady(long readId, long index) {}

    /** A follower asked for slots the log no longer has: send it a snapshot. */
    public record SnapshotNeeded(long to) {}

    /**
     * A leader sent a snapshot newer than this node's log: restore the state machine from it.
     * {@code configured}: the message carried the configuration at its slot and the core has
     * taken it on; a leader of an older version sends none, and the driver then gives the core
     * the membership the snapshot records ({@link PaxosCore#adoptMembership}).
     */
    public record InstallSnapshot(long slot, com.google.protobuf.ByteString data, boolean configured) {}

    public final List<WalRecord> records = new ArrayList<>();
    public final List<PeerMessage> messages = new ArrayList<>();
    /**
     * Messages that may leave before the records are durable: a leader's accepts (its own vote
     * is counted only once its record is on disk, by a message to itself in {@link #messages})
     * and its news of commits (a commit is a fact once a quorum has durably accepted). So the
     * leader's disk and its followers' disks work at the same time, not one after the other.
     * Also a follower's requests to the leader (forwarded proposals, read index requests), which
     * vouch for nothing.
     */
    public final List<PeerMessage> early = new ArrayList<>();
    /**
     * Entries now chosen, in slot order. They may apply before this Ready's records are durable:
     * a slot is chosen once a quorum has accepted it durably, whatever this node's disk holds
     * (a commit record still to be synced only spares a restarted node asking again). Waiting
     * for it put a second fsync, after the quorum's, before every write was answered. Only a
     * snapshot still to install ahead of them holds them back.
     */
    public final List<SlotEntry> committed = new ArrayList<>();
    /**
     * Proposals that will never apply: refused before a slot held them (no leader, a leader
     * deposed with them queued), or in a slot this node filled as leader that was chosen with
     * another value. Their proposers can say so, and the client may retry.
     */
    public final List<Long> rejected = new ArrayList<>();
    public final List<ReadReady> reads = new ArrayList<>();
    public final List<Long> readsFailed = new ArrayList<>();
    public final List<SnapshotNeeded> snapshotsNeeded = new ArrayList<>();
    public InstallSnapshot install;

    public boolean isEmpty() {
        return records.isEmpty() && messages.isEmpty() && early.isEmpty() && committed.isEmpty() && rejected.isEmpty()
                && reads.isEmpty() && readsFailed.isEmpty() && snapshotsNeeded.isEmpty() && install == null;
    }
}
