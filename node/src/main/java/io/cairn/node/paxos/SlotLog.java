package io.cairn.node.paxos;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.Value;
import io.cairn.proto.Peer.WalRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The acceptor's log of slots after its snapshot (etcd-io/raft's log): what it accepted in each
 * slot and under which ballot, how far it knows the log chosen, how far a leader said it is, and
 * how far its commit records reach. The accepted entries are durable (the core hands them to the
 * driver as records); the rest is relearned after a restart.
 */
final class SlotLog {
    /** One slot as this acceptor holds it. */
    static final class Slot {
        BallotNum ballot;
        private Value value;
        /** The value's encoding, once chosen and handed out; then {@link #value} is dropped. */
        private ByteString packed;
        boolean chosen;

        Slot(BallotNum ballot, Value value, boolean chosen) {
            this.ballot = ballot;
            this.value = value;
            this.chosen = chosen;
        }

        Value value() {
            if (value != null) {
                return value;
            }
            try {
                return Value.parseFrom(packed);
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("a chosen value this core encoded itself does not parse", e);
            }
        }

        /**
         * Keeps a chosen value as its encoding: one array instead of a dozen objects per write.
         * The log holds chosen slots until the next snapshot, hundreds of thousands of writes, and
         * the garbage collector copied every object of them, young, into the old generation; an
         * array is one object. Read again only to catch a follower up, or for an election.
         */
        void pack() {
            if (value != null) {
                packed = value.toByteString();
                value = null;
            }
        }

        /** Bytes of the value's encoding. */
        int size() {
            return value != null ? value.getSerializedSize() : packed.size();
        }
    }

    private final TreeMap<Long, Slot> slots = new TreeMap<>();
    private long snapshotSlot;
    private long chosenUpTo;
    /** The highest slot a leader has said is chosen (this log may not hold all of them yet). */
    private long knownCommit;
    /**
     * The highest commit written in a record. Commit records only spare a restarted node
     * relearning what was chosen (Paxos finds it again either way), so they ride along with
     * records going to disk anyway, or go on the next tick: on a follower, most commits arrive
     * alone, and a record of their own cost an fsync each.
     */
    private long commitRecorded;

    /** A log restored from disk: entries after the snapshot, those through {@code commit} chosen. */
    static SlotLog restore(List<SlotEntry> accepted, long snapshotSlot, long commit) {
        SlotLog log = new SlotLog();
        log.snapshotSlot = snapshotSlot;
        log.chosenUpTo = snapshotSlot;
        for (SlotEntry e : accepted) {
            if (e.getSlot() > snapshotSlot) {
                log.slots.put(e.getSlot(), new Slot(BallotNum.of(e.getBallot()), e.getValue(), e.getSlot() <= commit));
            }
        }
        log.knownCommit = commit;
        log.commitRecorded = Math.max(snapshotSlot, commit);
        return log;
    }

    long snapshotSlot() {
        return snapshotSlot;
    }

    long chosenUpTo() {
        return chosenUpTo;
    }

    long knownCommit() {
        return knownCommit;
    }

    /** A leader said everything through {@code commit} is chosen. */
    void learnCommit(long commit) {
        knownCommit = Math.max(knownCommit, commit);
    }

    Slot get(long slot) {
        return slots.get(slot);
    }

    /** Accepts {@code value} in {@code slot} under {@code ballot} (not yet known chosen). */
    void accept(long slot, BallotNum ballot, Value value) {
        slots.put(slot, new Slot(ballot, value, false));
    }

    /** Holds {@code value} as chosen in {@code slot} (learned from a leader's catch-up). */
    void putChosen(long slot, BallotNum ballot, Value value) {
        slots.put(slot, new Slot(ballot, value, true));
    }

    /**
     * Extends the chosen prefix by one slot if the next one is known chosen: gives it, or null.
     * The caller hands it out and then {@link Slot#pack packs} it.
     */
    Slot advance() {
        Slot next = slots.get(chosenUpTo + 1);
        if (next == null || !next.chosen) {
            return null;
        }
        chosenUpTo++;
        return next;
    }

    /** Marks the slots after the chosen prefix chosen through the known commit, while each was accepted under {@code ballot}. */
    void markChosenUnder(BallotNum ballot) {
        for (long s = chosenUpTo + 1; s <= knownCommit; s++) {
            Slot slot = slots.get(s);
            if (slot == null || !(slot.chosen || slot.ballot.equals(ballot))) {
                break;
            }
            // Accepted under the ballot whose leader says it is chosen: this is the chosen value.
            slot.chosen = true;
        }
    }

    SlotEntry entry(long slot) {
        return entry(slot, slots.get(slot));
    }

    static SlotEntry entry(long slot, Slot s) {
        return SlotEntry.newBuilder().setSlot(slot).setBallot(s.ballot.toProto()).setValue(s.value()).build();
    }

    /** Every entry held from {@code from} on: what a promise reports. */
    List<SlotEntry> entriesFrom(long from) {
        List<SlotEntry> list = new ArrayList<>();
        for (Map.Entry<Long, Slot> e : slots.tailMap(from, true).entrySet()) {
            list.add(entry(e.getKey(), e.getValue()));
        }
        return list;
    }

    /** The chosen entries after {@code after}. */
    List<SlotEntry> chosenAfter(long after) {
        List<SlotEntry> list = new ArrayList<>();
        for (long s = Math.max(after, snapshotSlot) + 1; s <= chosenUpTo; s++) {
            list.add(entry(s, slots.get(s)));
        }
        return list;
    }

    /** Up to {@code max} chosen entries from {@code from} on, for a follower catching up. */
    List<SlotEntry> chosenFrom(long from, int max, long maxBytes) {
        List<SlotEntry> list = new ArrayList<>();
        long bytes = 0;
        for (long s = from; s <= chosenUpTo && list.size() < max && (list.isEmpty() || bytes < maxBytes); s++) {
            Slot slot = slots.get(s);
            if (slot == null) {
                break;
            }
            bytes += slot.size();
            list.add(entry(s, slot));
        }
        return list;
    }

    /** The driver saved a snapshot through {@code slot}: forget the log up to it. Whether it could. */
    boolean compact(long slot) {
        if (slot > chosenUpTo || slot <= snapshotSlot) {
            return false;
        }
        slots.headMap(slot, true).clear();
        snapshotSlot = slot;
        return true;
    }

    /** A leader's snapshot through {@code slot} replaces everything up to it; its commit is recorded with it. */
    void installSnapshot(long slot) {
        slots.headMap(slot, true).clear();
        snapshotSlot = slot;
        chosenUpTo = slot;
        knownCommit = Math.max(knownCommit, chosenUpTo);
        commitRecorded = chosenUpTo;
    }

    /** A commit record for what is chosen past the last one, or null when none is due. */
    WalRecord commitRecordIf(boolean due) {
        if (chosenUpTo > commitRecorded && due) {
            commitRecorded = chosenUpTo;
            return commitRecord();
        }
        return null;
    }

    WalRecord commitRecord() {
        return WalRecord.newBuilder().setCommit(chosenUpTo).build();
    }

    /** What the acceptor must keep after its snapshot, after its promise: its entries and its commit. */
    List<WalRecord> durableEntries() {
        List<WalRecord> out = new ArrayList<>();
        for (Map.Entry<Long, Slot> e : slots.tailMap(snapshotSlot, false).entrySet()) {
            out.add(WalRecord.newBuilder().setAccepted(entry(e.getKey(), e.getValue())).build());
        }
        out.add(commitRecord());
        return out;
    }
}
