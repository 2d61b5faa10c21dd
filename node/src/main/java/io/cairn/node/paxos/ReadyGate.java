package io.cairn.node.paxos;

import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.WalRecord;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The driver's side of the {@link Ready} contract, written once for the member and the
 * simulator: a leader's snapshot is made durable before any record after it, a Ready's records
 * are appended at once, and its effects are carried out in order only once its records are on
 * disk, except its committed entries, which apply at once (see {@link Ready#committed}). The two
 * drivers differ only in how they append, sync and act, which {@link Effects} says. Not
 * thread-safe: one thread (the member's loop, the simulator's queue) calls it.
 */
public final class ReadyGate {
    /** What a driver does with each part of a Ready. */
    public interface Effects {
        /**
         * Makes a snapshot sent by the leader durable. Called before the records of its Ready
         * are appended: a commit record past the snapshot, durable while the snapshot was not,
         * would vouch on restart for the stale entries the snapshot replaces (simulator seed
         * 901230).
         */
        void persistSnapshot(Ready.InstallSnapshot s);

        /** Appends records to the log; gives the durable position that covers them. */
        long append(List<WalRecord> records);

        /** Takes on a snapshot already made durable, in order with what came before it. */
        void installSnapshot(Ready.InstallSnapshot s);

        /** Sends a message to another node. */
        void send(PeerMessage m);

        void apply(SlotEntry e);

        void readReady(long readId, long index);

        void readFailed(long readId);

        void rejected(long proposalId);

        void snapshotNeeded(long to);

        /** After each round of releases (serve reads waiting on the applied slot, and so on). */
        void released();
    }

    /** A Ready waiting for its records; {@code applied} when its committed entries already were. */
    private record Pending(Ready ready, long position, boolean applied) {}

    private final Effects effects;
    private final LongSupplier durable;
    private final long self;
    private final Function<PeerMessage, Ready> step;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /**
     * Pending Readies that hold back the committed entries of later ones: a snapshot to install
     * (entries after it apply on top of it) or entries of their own not yet applied.
     */
    private int holdingBack;
    private boolean releasing;

    /**
     * {@code durable} tells how far the log is on disk, in {@link Effects#append}'s positions;
     * {@code step} hands a message the core addressed to itself, node {@code self}, back to it
     * (a leader's own vote, released like any message once its record is durable).
     */
    public ReadyGate(Effects effects, LongSupplier durable, long self, Function<PeerMessage, Ready> step) {
        this.effects = effects;
        this.durable = durable;
        this.self = self;
        this.step = step;
    }

    public void handle(Ready r) {
        if (r.isEmpty()) {
            return;
        }
        if (r.install != null) {
            effects.persistSnapshot(r.install);
        }
        boolean applyNow = holdingBack == 0 && r.install == null;
        long position;
        if (r.records.isEmpty() && applyNow) {
            // Nothing to write, so nothing the early messages must precede: apply first, so the
            // answers to clients leave before the leader's commit notices to its followers (on
            // the member, each is a write queued on the loop, run in order). The member's own
            // watchers are fed after both, in a task it queues once the round is released
            // (docs/benchmark.md, "The answer before the watchers"). The position is taken
            // first: whatever an apply proposes comes after this Ready.
            position = effects.append(r.records);
            r.committed.forEach(effects::apply);
            r.early.forEach(effects::send);
        } else {
            r.early.forEach(effects::send); // first: an append may be written before they leave
            position = effects.append(r.records);
            if (applyNow) {
                r.committed.forEach(effects::apply);
            } else {
                holdingBack++;
            }
        }
        pending.add(new Pending(r, position, applyNow));
        release();
    }

    /** Carries out, in order, every Ready whose records are durable. */
    public void release() {
        if (releasing) {
            return; // something applied above proposed more: the running loop picks it up, in order
        }
        releasing = true;
        try {
            while (!pending.isEmpty() && pending.peek().position() <= durable.getAsLong()) {
                Pending p = pending.poll();
                Ready r = p.ready();
                if (r.install != null) {
                    effects.installSnapshot(r.install);
                }
                for (PeerMessage m : r.messages) {
                    if (m.getTo() == self) {
                        handle(step.apply(m)); // never through the network: the simulator's could lose it
                    } else {
                        effects.send(m);
                    }
                }
                if (!p.applied()) {
                    r.committed.forEach(effects::apply);
                    holdingBack--;
                }
                r.reads.forEach(rr -> effects.readReady(rr.readId(), rr.index()));
                r.readsFailed.forEach(effects::readFailed);
                r.rejected.forEach(effects::rejected);
                r.snapshotsNeeded.forEach(s -> effects.snapshotNeeded(s.to()));
            }
            effects.released();
        } finally {
            releasing = false;
        }
    }
}
