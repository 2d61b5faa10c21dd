package io.cairn.testing.sim;

import io.cairn.node.store.Event;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreException;
import java.util.ArrayList;
import java.util.List;

/**
 * A client watching a glob through one replica at a time: it starts from a read of the tree,
 * moves to another replica when its replica dies, and resumes after the last revision it saw.
 * At the end its stream must equal the replicas' common history for its glob.
 */
final class SimWatcher {
    private final Simulation sim;
    private final int id;
    private final Glob glob;
    private SimNode node;
    private int nodeIncarnation;
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
            startRev = n.tree.rev();
            lastRev = startRev;
            segments.add(new long[] {startRev, startRev});
        }
        if (n.tree.rev() >= lastRev + 1) {
            try {
                List<Event> replay = n.tree.eventsFrom(lastRev + 1, glob, Integer.MAX_VALUE);
                node = n;
                nodeIncarnation = n.incarnation;
                deliverUpTo(replay, n.tree.rev());
            } catch (StoreException tooLate) {
                // This replica restored a snapshot past our position: start over from a fresh read.
                resets++;
                startRev = n.tree.rev();
                lastRev = startRev;
                segments.add(new long[] {startRev, startRev});
                node = n;
                nodeIncarnation = n.incarnation;
            }
        } else {
            // The replica is behind us: live events will bring it past lastRev.
            node = n;
            nodeIncarnation = n.incarnation;
        }
    }

    private void deliverUpTo(List<Event> events, long rev) {
        for (Event e : events) {
            if (e.rev() > lastRev) {
                seen.add(e);
            }
        }
        if (rev > lastRev) {
            lastRev = rev;
            segments.get(segments.size() - 1)[1] = lastRev;
        }
    }

    /** Called by a replica after it applied a slot. */
    void onApplied(SimNode n) {
        if (n != node) {
            return;
        }
        if (!n.alive || n.incarnation != nodeIncarnation) {
            node = null;
            sim.queue.after(10 + sim.random.nextInt(40), this::attach);
            return;
        }
        if (n.tree.rev() <= lastRev) {
            return;
        }
        try {
            deliverUpTo(n.tree.eventsFrom(lastRev + 1, glob, Integer.MAX_VALUE), n.tree.rev());
        } catch (StoreException e) {
            node = null;
            sim.queue.after(10, this::attach);
        }
    }

    /** Notices a dead replica even when nothing is applied anywhere. */
    void poll() {
        if (node != null && (!node.alive || node.incarnation != nodeIncarnation)) {
            node = null;
            attach();
        }
    }

    String verify() {
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
