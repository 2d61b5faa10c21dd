package io.cairn.testing.sim;

import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.Peer.WalRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One node's disk: a write-ahead log whose unsynced tail is at the mercy of a crash (any prefix
 * of it may survive), and a snapshot file written atomically. The counters only grow, so a
 * writer can wait for "synced past my records" across compactions.
 */
final class SimDisk {
    final List<WalRecord> durable = new ArrayList<>();
    final List<WalRecord> unsynced = new ArrayList<>();
    SnapshotFile snapshot;
    long appendedTotal;
    long syncedTotal;

    void append(List<WalRecord> records) {
        unsynced.addAll(records);
        appendedTotal += records.size();
    }

    /** An fsync that started when {@code upTo} records had been appended has finished. */
    void sync(long upTo) {
        while (syncedTotal < upTo && !unsynced.isEmpty()) {
            durable.add(unsynced.remove(0));
            syncedTotal++;
        }
    }

    /** A crash: some prefix of the unsynced writes made it to disk, the rest is gone. */
    void crash(Random random) {
        int keep = unsynced.isEmpty() ? 0 : random.nextInt(unsynced.size() + 1);
        durable.addAll(unsynced.subList(0, keep));
        unsynced.clear();
        syncedTotal += keep;
        appendedTotal = syncedTotal;
    }

    /** A snapshot through its slot is on disk: the durable log keeps only what comes after it. */
    void compact(SnapshotFile snap) {
        snapshot = snap;
        long slot = snap.getSlot();
        List<WalRecord> kept = new ArrayList<>();
        WalRecord lastPromise = null;
        for (WalRecord r : durable) {
            if (r.hasPromised()) {
                lastPromise = r;
            } else if (r.hasAccepted() && r.getAccepted().getSlot() > slot) {
                kept.add(r);
            } else if (r.hasCommit() && r.getCommit() > slot) {
                kept.add(r);
            }
        }
        if (lastPromise != null) {
            kept.add(0, lastPromise);
        }
        durable.clear();
        durable.addAll(kept);
    }

    /** Everything a restart reads: durable records only. */
    List<WalRecord> read() {
        return List.copyOf(durable);
    }
}
