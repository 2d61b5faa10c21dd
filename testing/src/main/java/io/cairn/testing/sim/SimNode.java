package io.cairn.testing.sim;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.node.paxos.BallotNum;
import io.cairn.node.paxos.PaxosConfig;
import io.cairn.node.paxos.PaxosCore;
import io.cairn.node.paxos.Ready;
import io.cairn.node.paxos.ReadyGate;
import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.VersionedTree;
import io.cairn.node.server.SessionClock;
import io.cairn.proto.Peer.Keepalive;
import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.State.SessionOp;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.Peer.WalRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One replica under simulation: the real {@link PaxosCore} and {@link VersionedTree}, driven the
 * way the real node drives them, over a simulated disk and network.
 */
final class SimNode {
    static final int TICK_MS = 10;
    static final int SNAPSHOT_EVERY = 40;


    private record WaitingRead(long index, Runnable serve) {}

    final long id;
    private final Simulation sim;
    private final PaxosConfig config;
    final SimDisk disk = new SimDisk();
    private final Random random;
    PaxosCore core;
    VersionedTree tree;
    /** The member's watch-serving code over its tree; a restarted process starts with none. */
    io.cairn.node.server.WatchHub hub = new io.cairn.node.server.WatchHub();
    long applied;
    private long lastSnapshot;
    boolean alive;
    int incarnation;
    private final ReadyGate gate;
    private boolean syncing;
    private final Map<Long, Consumer<ApplyResult>> waitingWrites = new HashMap<>();
    private final Map<Long, Runnable> writeFailures = new HashMap<>();
    private final Map<Long, Consumer<Long>> waitingReadIndex = new HashMap<>();
    private final Map<Long, Runnable> readFailures = new HashMap<>();
    private final List<WaitingRead> waitingReads = new ArrayList<>();
    private long nextId;

    SimNode(long id, Simulation sim, PaxosConfig config, Random random) {
        this.id = id;
        this.gate = new ReadyGate(new SimEffects(), () -> disk.syncedTotal, id, m -> core.step(m));
        this.sim = sim;
        this.config = config;
        this.random = random;
    }

    void start() {
        if (Boolean.getBoolean("cairn.sim.trace")) {
            System.out.println("t=" + sim.queue.now() + " node " + id + " starts");
        }
        alive = true;
        incarnation++;
        restoreFromDisk();
        int inc = incarnation;
        sim.queue.after(1 + random.nextInt(TICK_MS), () -> tickLoop(inc));
    }

    private void tickLoop(int inc) {
        if (!alive || inc != incarnation) {
            return;
        }
        handle(core.tick());
        if (++ticks % 5 == 0) {
            sessionTick();
        }
        sim.queue.after(TICK_MS, () -> tickLoop(inc));
    }

    // ---- sessions: timed by the leader's SessionClock, as in the real node ----------------------

    private final SessionClock clock = new SessionClock();
    private long ticks;

    private void sessionTick() {
        clock.leading(core.isLeader());
        List<SessionClock.Timed> timed = new ArrayList<>();
        tree.sessionTtls().forEach((sid, ttl) -> timed.add(new SessionClock.Timed(sid, ttl)));
        for (long sid : clock.expired(timed, sim.queue.now())) {
            write(io.cairn.proto.State.Command.newBuilder().setSessionOp(SessionOp.newBuilder()
                    .setKind(SessionOp.Kind.EXPIRE).setId(sid)).build(), r -> { }, () -> clock.retry(sid));
        }
    }

    /** A client's keepalive reaching this member: false when the session has ended here. */
    boolean keepalive(long session) {
        if (tree.sessionEnded(session)) {
            return false;
        }
        if (core.isLeader()) {
            clock.keepalive(session, sim.queue.now());
        } else if (core.leader() != 0) {
            sim.network.send(id, core.leader(), PeerMessage.newBuilder().setFrom(id).setTo(core.leader())
                    .setKeepalive(Keepalive.newBuilder().addSessions(session)).build(), sim::deliver);
        }
        return true;
    }

    void crash() {
        if (Boolean.getBoolean("cairn.sim.trace")) {
            System.out.println("t=" + sim.queue.now() + " node " + id + " crashes");
        }
        alive = false;
        clock.leading(false);
        incarnation++;
        disk.crash(random);
        gate.clear();
        syncing = false;
        waitingWrites.clear();
        waitingReadIndex.clear();
        waitingReads.clear();
        // The clients of this node lose their connections: their requests end with unknown outcome.
        List<Runnable> failures = new ArrayList<>(writeFailures.values());
        failures.addAll(readFailures.values());
        writeFailures.clear();
        readFailures.clear();
        failures.forEach(Runnable::run);
    }

    private void restoreFromDisk() {
        StoreConfig storeConfig = sim.storeConfig;
        SnapshotFile snap = disk.snapshot;
        tree = snap == null ? new VersionedTree(storeConfig) : VersionedTree.restore(snap.getTree(), storeConfig);
        hub = new io.cairn.node.server.WatchHub();
        sim.stateRebuilt(id); // what it applies from here re-applies the log after its snapshot
        long snapshotSlot = snap == null ? 0 : snap.getSlot();
        BallotNum promised = BallotNum.ZERO;
        TreeMap<Long, SlotEntry> accepted = new TreeMap<>();
        long commit = snapshotSlot;
        for (WalRecord r : disk.read()) {
            switch (r.getKindCase()) {
                case PROMISED -> promised = BallotNum.of(r.getPromised());
                case ACCEPTED -> accepted.put(r.getAccepted().getSlot(), r.getAccepted());
                case COMMIT -> commit = Math.max(commit, r.getCommit());
                default -> { }
            }
        }
        core = PaxosCore.restore(config, random, promised, new ArrayList<>(accepted.values()), snapshotSlot, commit);
        applied = snapshotSlot;
        lastSnapshot = snapshotSlot;
        for (SlotEntry e : core.chosenEntriesAfter(snapshotSlot)) {
            apply(e);
        }
    }

    // ---- the driver contract ----------------------------------------------------------------

    void handle(Ready r) {
        gate.handle(r);
    }

    private void maybeSync() {
        if (syncing || disk.syncedTotal >= disk.appendedTotal) {
            return;
        }
        syncing = true;
        long target = disk.appendedTotal;
        int inc = incarnation;
        sim.queue.after(1 + (random.nextInt(10) == 0 ? random.nextInt(30) : random.nextInt(4)), () -> {
            if (inc != incarnation) {
                return;
            }
            disk.sync(target);
            syncing = false;
            gate.release();
            maybeSync();
        });
    }

    /** How a simulated replica carries out a Ready: its simulated disk, network and tree. */
    private final class SimEffects implements ReadyGate.Effects {
        @Override
        public void persistSnapshot(Ready.InstallSnapshot s) {
            disk.compact(parse(s));
        }

        @Override
        public long append(List<WalRecord> records) {
            disk.append(records);
            maybeSync();
            return disk.appendedTotal;
        }

        @Override
        public void installSnapshot(Ready.InstallSnapshot s) {
            SimNode.this.installSnapshot(s);
        }

        @Override
        public void send(PeerMessage m) {
            sim.network.send(id, m.getTo(), m, sim::deliver);
        }

        @Override
        public void apply(SlotEntry e) {
            SimNode.this.apply(e);
        }

        @Override
        public void readReady(long readId, long index) {
            Consumer<Long> k = waitingReadIndex.remove(readId);
            if (k != null) {
                k.accept(index);
            }
        }

        @Override
        public void readFailed(long readId) {
            waitingReadIndex.remove(readId);
            Runnable f = readFailures.remove(readId);
            if (f != null) {
                f.run();
            }
        }

        @Override
        public void rejected(long proposalId) {
            waitingWrites.remove(proposalId);
            Runnable f = writeFailures.remove(proposalId);
            if (f != null) {
                sim.rejectedWrite(f);
            }
        }

        @Override
        public void snapshotNeeded(long to) {
            SnapshotFile snap = SnapshotFile.newBuilder().setSlot(applied).setTree(tree.snapshot(0)).build();
            sim.network.send(id, to, core.snapshotMessage(to, applied, snap.toByteArray()), sim::deliver);
        }

        @Override
        public void released() {
            serveReads();
        }
    }

    private static SnapshotFile parse(Ready.InstallSnapshot s) {
        try {
            return SnapshotFile.parseFrom(s.data());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Takes on a snapshot already on disk (see {@link #handle}), in order with what came before. */
    private void installSnapshot(Ready.InstallSnapshot s) {
        SnapshotFile snap = parse(s);
        long before = tree.rev();
        tree = VersionedTree.restore(snap.getTree(), sim.storeConfig);
        if (sim.options.plant() != Simulation.Plant.SKIP_WATCH_REPLAY) {
            hub.restored(tree, before);
        }
        sim.stateRebuilt(id);
        applied = s.slot();
        lastSnapshot = s.slot();
        sim.checkRevAtSlot(id, applied, tree.rev());
    }

    private void apply(SlotEntry e) {
        if (e.getSlot() != applied + 1) {
            sim.violation("node " + id + " applied slot " + e.getSlot() + " after " + applied);
            return;
        }
        applied = e.getSlot();
        sim.checkSlotValue(id, e);
        for (Proposal p : e.getValue().getProposalsList()) {
            if (!p.hasCommand()) {
                continue;
            }
            ApplyResult result = applyCommand(p);
            sim.checkEvents(id, result);
            hub.publish(result.events());
            if (p.getCommand().hasSessionOp() && result.ok()) {
                sim.sessionChanged(p.getCommand().getSessionOp(), result);
            }
            sim.recordApplied(id, e.getSlot(), p.getId(), result);
            Consumer<ApplyResult> k = waitingWrites.remove(p.getId());
            writeFailures.remove(p.getId());
            if (k != null) {
                k.accept(result);
            }
        }
        sim.checkRevAtSlot(id, applied, tree.rev());
        if (applied - lastSnapshot >= SNAPSHOT_EVERY) {
            SnapshotFile snap = SnapshotFile.newBuilder().setSlot(applied).setTree(tree.snapshot(0)).build();
            disk.compact(snap);
            lastSnapshot = applied;
            handle(core.snapshotTaken(applied));
        }
    }

    private boolean planted;

    /**
     * Applies one command to the tree; where a bug is planted (Simulation.Plant), replica 1 or 2
     * gets it wrong once, on a client's write to /k, as a broken replica would.
     */
    private ApplyResult applyCommand(Proposal p) {
        Simulation.Plant bug = sim.options.plant();
        boolean clientWrite = p.getCommand().hasTxn() && p.getCommand().getTxn().getSuccessCount() > 0
                && p.getCommand().getTxn().getSuccess(0).getPath().startsWith("/k/") && !p.getCommand().getTxn().getSuccess(0)
                        .getKind().equals(io.cairn.proto.Msg.Op.Kind.DEL) && p.getCommand().getTxn().getCompareCount() == 0
                && p.getCommand().getTxn().getSuccess(0).getRev() == -1;
        if (!planted && clientWrite && tree.rev() > 20) {
            if (bug == Simulation.Plant.LOSE_ACKNOWLEDGED_WRITE && id == 1) {
                planted = true;
                // Answers its client as if applied, but the write lands under another name.
                io.cairn.proto.State.Command.Builder lost = p.getCommand().toBuilder();
                lost.getTxnBuilder().getSuccessBuilder(0).setPath("/lost/" + p.getId());
                ApplyResult r = tree.apply(lost.build());
                return r;
            }
            if (bug == Simulation.Plant.APPLY_TWICE && id == 1) {
                planted = true;
                sim.recordApplied(id, applied, p.getId(), tree.apply(p.getCommand()));
            }
            if (bug == Simulation.Plant.DIVERGE && id == 2) {
                planted = true;
                // Also writes a file nobody else has, and nobody will overwrite.
                io.cairn.proto.State.Command.Builder other = p.getCommand().toBuilder();
                other.getTxnBuilder().addSuccess(io.cairn.proto.Msg.Op.newBuilder().setKind(io.cairn.proto.Msg.Op.Kind.SET)
                        .setPath("/diverged/" + id).setValue(com.google.protobuf.ByteString.copyFromUtf8("x")));
                return tree.apply(other.build());
            }
        }
        return tree.apply(p.getCommand());
    }

    private void serveReads() {
        Iterator<WaitingRead> it = waitingReads.iterator();
        while (it.hasNext()) {
            WaitingRead w = it.next();
            if (applied >= w.index) {
                it.remove();
                w.serve.run();
            }
        }
    }

    // ---- client requests --------------------------------------------------------------------

    /** Proposes a write; {@code done} gets the result once this node applies it, {@code lost} if it never will here. */
    long write(io.cairn.proto.State.Command cmd, Consumer<ApplyResult> done, Runnable lost) {
        long pid = (id << 40) | ++nextId;
        waitingWrites.put(pid, done);
        writeFailures.put(pid, lost);
        handle(core.propose(List.of(Proposal.newBuilder().setId(pid).setCommand(cmd).build())));
        return pid;
    }

    /** A linearizable read: confirmed by the read index, served once applied reaches it. */
    void read(Runnable serve, Runnable failed) {
        long rid = (id << 40) | ++nextId;
        readFailures.put(rid, failed);
        waitingReadIndex.put(rid, index -> {
            waitingReads.add(new WaitingRead(index, () -> {
                if (readFailures.remove(rid) != null) {
                    serve.run();
                }
            }));
            serveReads();
        });
        handle(core.readIndex(rid));
    }

    void receive(PeerMessage m) {
        if (!alive) {
            return;
        }
        if (m.hasKeepalive()) {
            m.getKeepalive().getSessionsList().forEach(sid -> clock.keepalive(sid, sim.queue.now()));
            return;
        }
        handle(core.step(m));
    }
}
