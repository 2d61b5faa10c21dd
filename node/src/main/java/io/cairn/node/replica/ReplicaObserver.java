package io.cairn.node.replica;

import io.cairn.node.store.ApplyResult;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.SlotEntry;
import java.util.concurrent.CompletableFuture;

/**
 * What a replica reports as it goes, for whoever checks it: the simulator records every
 * application here and compares replicas against each other and against its clients' records.
 * A member runs with {@link #NONE}. Called on the replica's loop.
 */
public interface ReplicaObserver {
    ReplicaObserver NONE = new ReplicaObserver() { };

    /** A client's request became proposal {@code proposalId}. */
    default void proposed(long proposalId, CompletableFuture<ApplyResult> request) { }

    /** The state was rebuilt from a snapshot at {@code slot} (a restart, or one sent by the leader). */
    default void rebuilt(long slot, long rev) { }

    /** Slot {@code e} is about to be applied. */
    default void applying(SlotEntry e) { }

    /** A proposal of slot {@code slot} was applied with this result. */
    default void applied(long slot, Proposal p, ApplyResult result) { }

    /** Every proposal of {@code slot} is applied: the store is at {@code rev}. */
    default void appliedSlot(long slot, long rev) { }

    /** A task on the loop failed unexpectedly (a bug: logged, and the loop goes on). */
    default void unexpected(RuntimeException e) { }
}
