package io.cairn.testing.sim;

import io.cairn.node.replica.Replica;
import io.cairn.node.replica.ReplicaClock;
import io.cairn.node.replica.ReplicaObserver;
import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.Glob;
import io.cairn.node.store.VersionedTree;
import io.cairn.node.server.WatchHandle;
import io.cairn.node.server.WatchSink;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.State.Command;
import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One member under simulation: the member's own {@link Replica}, wired to a simulated disk
 * ({@link SimDisk}), the simulator's event queue as its loop and clock, and the simulated
 * network. Nothing of the replica is re-implemented here; a crash drops the replica and its
 * timers, and a restart builds a new one from what the disk kept.
 */
final class SimNode {
    static final int TICK_MS = 10;

    final long id;
    private final Simulation sim;
    private final Random random;
    final SimDisk disk;
    /** What the member was started with (its cluster.pb): later changes come from its log. */
    private final List<Member> initialMembers;
    Replica replica;
    boolean alive;
    /** Stopped for good: its disk failed it, or it was removed from the cluster. */
    String stoppedBecause;
    int incarnation;
    /** The clients' requests in flight here: a crash ends them with an unknown outcome, as a lost connection does. */
    private final Map<CompletableFuture<?>, Boolean> inFlight = new IdentityHashMap<>();

    SimNode(long id, Simulation sim, List<Member> initialMembers, Random random) {
        this.id = id;
        this.sim = sim;
        this.random = random;
        this.initialMembers = List.copyOf(initialMembers);
        this.disk = new SimDisk(sim.queue, random, id);
    }

    void start() {
        if (stoppedBecause != null) {
            return;
        }
        if (Boolean.getBoolean("cairn.sim.trace")) {
            System.out.println("t=" + sim.queue.now() + " node " + id + " starts");
        }
        incarnation++;
        int inc = incarnation;
        Replica.Environment env = new Replica.Environment(disk.open(), task -> sim.queue.after(0, live(inc, task)),
                new Clock(inc), new Random(random.nextLong()), new Observer(), sim.applier(id));
        try {
            replica = new Replica(id, initialMembers, sim.storeConfig, Simulation.REPLICA_OPTIONS, env, () -> { });
        } catch (IOException | RuntimeException e) {
            // The member refuses to start (a corrupted log): it stays down, with the reader's message.
            stoppedBecause = e.getMessage();
            replica = null;
            sim.memberStopped(this, e.getMessage());
            return;
        }
        alive = true;
        replica.start(m -> sim.network.send(id, m.getTo(), m, sim::deliver));
    }

    private Runnable live(int inc, Runnable task) {
        return new Runnable() {
            @Override
            public void run() {
                if (!alive || inc != incarnation) {
                    return;
                }
                if (sim.queue.now() < pausedUntil) {
                    sim.queue.at(pausedUntil, this); // frozen: it runs when the process resumes
                    return;
                }
                task.run();
            }
        };
    }

    /** Until when the process is frozen: nothing of it runs, what arrives waits in its socket buffers. */
    private long pausedUntil;

    /** Freezes the process for {@code ms}; its clock goes on meanwhile. */
    void pause(long ms) {
        pausedUntil = Math.max(pausedUntil, sim.queue.now() + ms);
    }

    /** The simulator's clock and timers, for one incarnation: a crash stops them. */
    private final class Clock implements ReplicaClock {
        private final int inc;

        Clock(int inc) {
            this.inc = inc;
        }

        @Override
        public long nowMs() {
            return sim.queue.now();
        }

        /** A fixed date plus the simulated time: the same on every run of a seed. */
        @Override
        public long wallMs() {
            return 1_767_225_600_000L + sim.queue.now();
        }

        @Override
        public void after(long delayMs, Runnable task) {
            sim.queue.after(delayMs, live(inc, task));
        }

        @Override
        public Timer every(long periodMs, Runnable task) {
            boolean[] cancelled = {false};
            // Replicas start their timers at different offsets, as members started apart do.
            sim.queue.after(1 + random.nextInt((int) periodMs), new Runnable() {
                @Override
                public void run() {
                    if (cancelled[0] || !alive || inc != incarnation) {
                        return;
                    }
                    if (sim.queue.now() < pausedUntil) {
                        sim.queue.at(pausedUntil, this);
                        return;
                    }
                    task.run();
                    sim.queue.after(periodMs, this);
                }
            });
            return () -> cancelled[0] = true;
        }
    }

    /** Reports what the replica applies to the simulator's checks. */
    private final class Observer implements ReplicaObserver {
        @Override
        public void proposed(long proposalId, CompletableFuture<ApplyResult> request) {
            sim.proposed(request, proposalId);
        }

        @Override
        public void rebuilt(long slot, long rev) {
            sim.stateRebuilt(id);
            sim.checkRevAtSlot(id, slot, rev);
        }

        @Override
        public void applying(SlotEntry e) {
            sim.checkSlotValue(id, e);
        }

        @Override
        public void applied(long slot, Proposal p, ApplyResult r) {
            sim.checkEvents(id, r);
            if (p.hasCommand() && p.getCommand().hasSessionOp() && r.ok()) {
                sim.sessionChanged(p.getCommand().getSessionOp(), r);
            }
            sim.recordApplied(id, slot, p.getId(), r);
        }

        @Override
        public void appliedSlot(long slot, long rev) {
            sim.checkRevAtSlot(id, slot, rev);
        }

        @Override
        public void unexpected(RuntimeException e) {
            sim.violation("node " + id + " failed on its loop: " + e);
        }
    }

    void crash() {
        if (!alive) {
            return;
        }
        if (Boolean.getBoolean("cairn.sim.trace")) {
            System.out.println("t=" + sim.queue.now() + " node " + id + " crashes");
        }
        alive = false;
        incarnation++;
        pausedUntil = 0;
        replica = null;
        disk.crash();
        // The clients of this node lose their connections: their requests end with unknown outcome.
        List<CompletableFuture<?>> lost = new ArrayList<>(inFlight.keySet());
        inFlight.clear();
        lost.forEach(f -> f.completeExceptionally(new IOException("connection to member " + id + " lost")));
    }

    /** Stops for good (removed from the cluster, or replaced): it never starts again. */
    void stop(String why) {
        crash();
        stoppedBecause = why;
    }

    private <T> CompletableFuture<T> track(CompletableFuture<T> f) {
        if (!f.isDone()) {
            inFlight.put(f, Boolean.TRUE);
            f.whenComplete((r, e) -> inFlight.remove(f));
        }
        return f;
    }

    // ---- what clients do, through the replica's own API -----------------------------------

    CompletableFuture<ApplyResult> write(Command cmd) {
        return track(replica.write(cmd));
    }

    CompletableFuture<Long> openSession(long ttlMs) {
        return track(replica.openSession(ttlMs));
    }

    <T> CompletableFuture<T> read(Function<VersionedTree, T> read) {
        return track(replica.read(read, false));
    }

    CompletableFuture<Void> keepalive(long session) {
        return track(replica.keepalive(session));
    }

    CompletableFuture<ApplyResult> changeMembership(Verb verb, MemberInfo m) {
        return track(replica.changeMembership(verb, m));
    }

    WatchHandle watch(Glob glob, long fromRev, WatchSink sink) {
        return replica.watch(glob, fromRev, false, sink);
    }

    /** The replica's tree, read on the simulator's one thread (the replica's loop). */
    VersionedTree tree() {
        return replica.treeOnLoop();
    }

    long applied() {
        return replica.appliedOnLoop();
    }

    boolean isLeader() {
        return replica.isLeaderOnLoop();
    }

    void receive(PeerMessage m) {
        if (alive && sim.queue.now() < pausedUntil) {
            int inc = incarnation;
            sim.queue.at(pausedUntil, () -> {
                if (inc == incarnation) {
                    receive(m);
                }
            });
            return;
        }
        if (alive) {
            replica.receive(m);
        }
    }

}
