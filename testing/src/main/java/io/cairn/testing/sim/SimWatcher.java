package io.cairn.testing.sim;

import io.cairn.node.server.WatchSink;
import io.cairn.node.store.Err;
import io.cairn.node.store.Event;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreException;
import java.util.ArrayList;
import java.util.List;

/**
 * A client watching a glob through one replica at a time, through the replica's own
 * watch-serving code (its watch call, as a member serves WATCH): it starts from a read of the
 * tree, moves to another replica when its replica dies, and resumes from the revision after the
 * last it saw. At the end its stream must equal the replicas' common history for its glob, up to
 * where its replica is, and no revision may come twice or out of order.
 */
final class SimWatcher {
    private final Simulation sim;
    private final int id;
    private final Glob glob;
    private SimNode node;
    private int nodeIncarnation;
    private Object current;
    /** How many times it moved to another replica. */
    private int moves;
    private long startRev = -1;
    private long lastRev;
    private final List<Event> seen = new ArrayList<>();
    private int resets;
    private final List<long[]> segments = new ArrayList<>(); // [fromExclusive, toInclusive] of each unbroken run

    SimWatcher(Simulation sim, int id, String glob) {
        this.sim = sim;
        this.id = id;
        this.glob = Glob.compile(glob);
    }

    void attach() {
        List<SimNode> alive = sim.nodes.stream().filter(n -> n.alive).toList();
        if (alive.isEmpty()) {
            sim.queue.after(20, this::attach);
            return;
        }
        SimNode n = alive.get(sim.random.nextInt(alive.size()));
        if (startRev < 0) {
            // Read the tree at R; the watch starts at R+1.
            startRev = n.tree().rev();
            lastRev = startRev;
            segments.add(new long[] {startRev, startRev});
        }
        watchOn(n);
    }

    private void watchOn(SimNode n) {
        node = n;
        nodeIncarnation = n.incarnation;
        Object[] self = new Object[1];
        long from = lastRev + 1;
        if (sim.options.plant() == Simulation.Plant.WATCH_RESUME_SKIPS && moves > 0) {
            from++; // planted: resumes one revision late after moving to another replica
        }
        self[0] = n.watch(glob, from, new WatchSink() {
            @Override
            public boolean deliver(List<Event> events) {
                if (current != self[0]) {
                    return false; // a watch this client has left
                }
                long rev = events.get(0).rev();
                if (rev <= lastRev) {
                    sim.violation("watcher " + id + " on " + glob + " got rev " + rev + " again, after rev " + lastRev
                            + " (from node " + n.id + ")");
                    return true;
                }
                seen.addAll(events);
                lastRev = rev;
                segments.get(segments.size() - 1)[1] = lastRev;
                return true;
            }

            @Override
            public void end(StoreException error) {
                if (current != self[0]) {
                    return;
                }
                current = null;
                if (error != null && error.code() == Err.TOO_LATE && n.alive) {
                    // The replica no longer has our position: start over from a fresh read.
                    resets++;
                    startRev = n.tree().rev();
                    lastRev = startRev;
                    segments.add(new long[] {startRev, startRev});
                    sim.queue.after(1, () -> watchOn(n));
                }
            }
        });
        current = self[0];
    }

    /** Notices a dead replica (its watchers died with it), as a client notices a lost connection. */
    void poll() {
        if (node != null && (!node.alive || node.incarnation != nodeIncarnation)) {
            node = null;
            current = null;
            moves++;
            attach();
        }
    }

    String verify() {
        // Attached to a live replica at the end, the watcher must have seen everything that
        // replica applied: the last segment runs to the replica's revision, not only to the last
        // event delivered.
        if (node != null && node.alive && node.incarnation == nodeIncarnation && current != null) {
            long[] last = segments.get(segments.size() - 1);
            last[1] = Math.max(last[1], node.tree().rev());
        }
        List<Event> expected = new ArrayList<>();
        for (long[] seg : segments) {
            expected.addAll(sim.globalEvents(seg[0], seg[1], glob));
        }
        if (expected.size() != seen.size()) {
            return "watcher " + id + " on " + glob + " saw " + seen.size() + " events, expected " + expected.size()
                    + " (resets " + resets + ")";
        }
        for (int i = 0; i < seen.size(); i++) {
            if (!Simulation.sameEvents(List.of(seen.get(i)), List.of(expected.get(i)))) {
                return "watcher " + id + " event " + i + " differs: saw rev " + seen.get(i).rev() + " "
                        + seen.get(i).path() + ", expected rev " + expected.get(i).rev() + " " + expected.get(i).path();
            }
        }
        return null;
    }
}
