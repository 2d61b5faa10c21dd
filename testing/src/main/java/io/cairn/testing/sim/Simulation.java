package io.cairn.testing.sim;

import ch.qos.logback.classic.Level;
import com.google.protobuf.ByteString;
import io.cairn.net.Causes;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.Err;
import io.cairn.node.store.Event;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.StoreException;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Compare;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import io.cairn.testing.lin.KvModel;
import io.cairn.testing.lin.KvModel.Input;
import io.cairn.testing.lin.KvModel.Output;
import io.cairn.testing.lin.LinearizabilityChecker;
import io.cairn.testing.lin.Operation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One seed of the deterministic simulation (DESIGN §8.2): replicas running the real consensus
 * core and store, a network that delays, reorders, drops, duplicates and partitions, disks that
 * lose unsynced writes on a crash, crashes and restarts, clients and watchers — all drawn from
 * one {@link Random}, so a seed replays exactly. Invariants are checked as it runs and at the end.
 */
public final class Simulation {
    /** What to run. */
    public record Options(long seed, int nodes, long durationMs, boolean faults, boolean membership, boolean diskFaults,
            Plant plant) {
        public Options(long seed, int nodes, long durationMs, boolean faults) {
            this(seed, nodes, durationMs, faults, false, false, Plant.NONE);
        }

        /** Network faults and crashes, with membership changes and disk faults off. */
        public static Options of(long seed, int nodes) {
            return new Options(seed, nodes, 6_000, true);
        }

        /** Also changes the membership while the faults go on. */
        public Options withMembership() {
            return new Options(seed, nodes, durationMs, faults, true, diskFaults, plant);
        }

        /** Also corrupts logs, fills disks. */
        public Options withDiskFaults() {
            return new Options(seed, nodes, durationMs, faults, membership, true, plant);
        }

        public Options planting(Plant bug) {
            return new Options(seed, nodes, durationMs, faults, membership, diskFaults, bug);
        }
    }

    /**
     * A bug planted on purpose, to show that the invariant guarding against it can fail
     * (SimulationTest plants each one and expects its violation). NONE in every real run.
     */
    public enum Plant {
        NONE,
        /** Replica 1 applies one client write under another name but still answers its client: an acknowledged write lost. */
        LOSE_ACKNOWLEDGED_WRITE,
        /** Every disk labels its snapshots one slot early: a restarted replica applies that slot's proposals again. */
        APPLY_TWICE,
        /** Replica 2 writes one file more than the others with one write, in the same revision. */
        DIVERGE,
        /** Once the faults heal, no write is proposed any more: the cluster makes no progress. */
        STALL_AFTER_HEAL,
        /** A watcher moving to another replica resumes one revision late. */
        WATCH_RESUME_SKIPS,
        /** Every disk reports its syncs done but keeps the records in a cache a crash loses. */
        LYING_FSYNC,
        /** The network delivers every forwarded proposal again, 1.5 s later (a transport re-sending after a reconnect). */
        LATE_DUPLICATE,
        /** A joining member is started as the only voter of a configuration of its own (a bootstrap flag left on). */
        WRONG_CONFIGURATION,
        /** Every replica applies a session's expiry as nothing: a dead holder's files stay. */
        EXPIRY_IGNORED,
        /** Replica 1 answers "not applied" for a write whose outcome it does not know (its leader lost, its time out). */
        NOT_APPLIED_WHEN_UNKNOWN
    }

    /**
     * What happened: violations (empty when all invariants held) and a few counts, among them the
     * writes a replica answered "not applied" (each then checked never to apply).
     */
    public record Outcome(long seed, List<String> violations, int operations, long slots, long messages, long simulatedMs,
            int saidNotApplied) {
        public boolean ok() {
            return violations.isEmpty();
        }
    }

    /**
     * How simulated replicas run: the member's timings, with a log short enough that snapshots
     * (taken, sent to a lagging replica, installed) happen many times in every seed.
     */
    static final Replica.Options REPLICA_OPTIONS = new Replica.Options(SimNode.TICK_MS, 10, 2, 16, 32, 40, 3_000);

    static final String[] KEYS = {"/k/a", "/k/b", "/k/c", "/k/d"};
    static final long CLIENT_TIMEOUT_MS = 1_500;
    static final long LIVENESS_BOUND_MS = 4_000;

    final Options options;
    final Random random;
    final EventQueue queue = new EventQueue();
    final SimNetwork network;
    final StoreConfig storeConfig = new StoreConfig(100_000, 1024);
    final List<SimNode> nodes = new ArrayList<>();
    final List<SimWatcher> watchers = new ArrayList<>();
    final List<SimHolder> holders = new ArrayList<>();
    final SimMembership membership;
    /** When each session ended (first replica to apply it), and how. */
    private final Map<Long, long[]> sessionEnds = new HashMap<>();
    /** How long after the faults heal (plus a TTL) sessions must behave exactly. */
    static final long SESSION_BOUND_MS = 1_500;
    private final List<String> violations = new ArrayList<>();
    private final Map<Long, SlotEntry> chosen = new HashMap<>();
    private final Map<Long, Long> revAtSlot = new HashMap<>();
    final Map<Long, List<Event>> eventsByRev = new HashMap<>();
    private final List<Operation> history = new ArrayList<>();
    /** For each write whose client gave up: its proposal id, to learn from the replicas what became of it. */
    private final Map<Integer, CompletableFuture<ApplyResult>> unknownProposal = new HashMap<>();
    private final Map<Long, ApplyResult> appliedByProposal = new HashMap<>();
    /**
     * The proposals of writes a replica answered "it was not applied" (see PendingRequests#rejected),
     * with when: a client may retry such a write, so none of them may ever apply.
     */
    private final Map<Long, Long> saidNotApplied = new HashMap<>();
    /** The proposal id each client request became, by the request's future. */
    private final Map<CompletableFuture<ApplyResult>, Long> proposalOf = new java.util.IdentityHashMap<>();
    /** Which proposals each replica applied: each at most once. */
    private final Map<Long, Set<Long>> appliedByNode = new HashMap<>();
    /** The slot each proposal was chosen in: one, the same on every replica. */
    private final Map<Long, Long> slotOfProposal = new HashMap<>();
    /**
     * What clients were told was written, from the clients' own requests (not from what the
     * replicas reported applying), checked against every replica's final tree.
     */
    private final List<Acked> acknowledged = new ArrayList<>();

    /** An acknowledged write: at {@code rev}, each path holds its value (null: deleted). */
    private record Acked(long rev, Map<String, String> wrote) {}
    private boolean clientsRunning = true;
    private long healedAt = -1;
    private long firstWriteAfterHeal = -1;

    private Simulation(Options options) {
        this.options = options;
        this.random = new Random(options.seed());
        this.network = new SimNetwork(queue, random);
        this.membership = new SimMembership(this, new Random(random.nextLong()), options.nodes());
        if (options.plant() == Plant.LATE_DUPLICATE) {
            network.lateCopyOf = m -> m instanceof PeerMessage p && p.hasForward();
        }
    }

    public static Outcome run(Options options) {
        // The replicas log as members do, one line per event: thousands of seeds would bury the
        // violations, so only warnings and errors are kept while a seed runs (all with the trace).
        Logger replicas = LoggerFactory.getLogger("io.cairn.node");
        Level before = replicas instanceof ch.qos.logback.classic.Logger l ? l.getLevel() : null;
        if (replicas instanceof ch.qos.logback.classic.Logger l && !TRACE) {
            l.setLevel(Level.WARN);
        }
        try {
            return new Simulation(options).execute();
        } finally {
            if (replicas instanceof ch.qos.logback.classic.Logger l) {
                l.setLevel(before);
            }
        }
    }

    private Outcome execute() {
        List<Member> members = new ArrayList<>();
        for (long i = 1; i <= options.nodes(); i++) {
            members.add(SimMembership.member(i, false));
        }
        for (long i = 1; i <= options.nodes(); i++) {
            addNode(i, members).start();
        }
        checkLeaders();
        for (int w = 0; w < 2; w++) {
            SimWatcher watcher = new SimWatcher(this, w, w == 0 ? "/k/**" : "/k/a");
            watchers.add(watcher);
            queue.after(50 + random.nextInt(500), watcher::attach);
        }
        pollWatchers();
        for (int h = 0; h < 3; h++) {
            SimHolder holder = new SimHolder(this, h);
            holders.add(holder);
            queue.after(random.nextInt(200), holder::start);
        }
        int clients = 3 + random.nextInt(3);
        for (int c = 0; c < clients; c++) {
            int client = c;
            queue.after(random.nextInt(50), () -> clientLoop(client));
        }
        long faultEnd = options.durationMs() * 6 / 10;
        if (options.faults()) {
            scheduleFaults(faultEnd);
        }
        if (options.membership()) {
            membership.schedule(300, faultEnd);
            membership.settle(options.durationMs() + 2_000);
        }
        queue.at(faultEnd, this::healEverything);
        queue.runUntil(options.durationMs());
        clientsRunning = false;
        // Let what is in flight land; clients issue nothing new.
        queue.runUntil(options.durationMs() + 3_000);
        finalChecks();
        long slots = serving().stream().mapToLong(SimNode::applied).max().orElse(0);
        return new Outcome(options.seed(), List.copyOf(violations), history.size(), slots, network.sent, queue.now(),
                saidNotApplied.size());
    }

    private void pollWatchers() {
        watchers.forEach(SimWatcher::poll);
        if (clientsRunning) {
            queue.after(50, this::pollWatchers);
        }
    }

    // ---- faults -----------------------------------------------------------------------------

    private void scheduleFaults(long until) {
        long t = 200 + random.nextInt(300);
        while (t < until) {
            long at = t;
            int kind = random.nextInt(options.diskFaults() ? 12 : 10);
            long duration = 100 + random.nextInt(1_200);
            queue.at(at, () -> fault(kind, Math.min(duration, until - at)));
            t += 150 + random.nextInt(600);
        }
    }

    private void fault(int kind, long duration) {
        SimNode victim = nodes.get(random.nextInt(nodes.size()));
        switch (kind) {
            case 0, 1 -> {
                if (victim.alive) {
                    victim.crash();
                    queue.after(duration, () -> {
                        if (!victim.alive) {
                            victim.start();
                        }
                    });
                }
            }
            case 2 -> {
                // A symmetric partition of a random minority or majority.
                Set<Long> side = new HashSet<>();
                for (SimNode n : nodes) {
                    if (random.nextBoolean()) {
                        side.add(n.id);
                    }
                }
                for (SimNode a : nodes) {
                    for (SimNode b : nodes) {
                        if (side.contains(a.id) != side.contains(b.id)) {
                            network.cut(a.id, b.id);
                        }
                    }
                }
                queue.after(duration, this::healLinks);
            }
            case 3 -> {
                // One-way: the victim hears nothing from one other node.
                SimNode other = nodes.get(random.nextInt(nodes.size()));
                if (other != victim) {
                    network.cut(other.id, victim.id);
                    queue.after(duration, this::healLinks);
                }
            }
            case 4 -> {
                network.loss = random.nextDouble() * 0.3;
                network.duplication = random.nextDouble() * 0.1;
                queue.after(duration, () -> {
                    network.loss = 0;
                    network.duplication = 0;
                });
            }
            case 5 -> {
                network.maxDelay = 8 + random.nextInt(60);
                queue.after(duration, () -> network.maxDelay = 8);
            }
            case 6 -> {
                // The leader dies: the failure that matters most.
                for (SimNode n : nodes) {
                    if (n.alive && n.isLeader()) {
                        n.crash();
                        queue.after(duration, () -> {
                            if (!n.alive) {
                                n.start();
                            }
                        });
                        break;
                    }
                }
            }
            case 9 -> {
                // The victim freezes (a SIGSTOP, a VM paused, a long collection) and resumes with
                // its clock gone on: a leader finds every session's last keepalive long past.
                if (victim.alive) {
                    trace("node " + victim.id + ": paused for " + duration + " ms");
                    victim.pause(duration);
                }
            }
            case 10 -> {
                // A record in the middle of the victim's log goes bad: it must refuse to start,
                // and the rest must carry on (one such member at a time, or a quorum is gone).
                // The voters left must still be a majority: three or more, none other broken, and
                // no change in flight or waiting to be made again that could leave fewer.
                long broken = nodes.stream().filter(n -> n.disk.corrupted() && membership.voters.contains(n.id)).count();
                if (victim.alive && broken == 0 && membership.voters.contains(victim.id) && membership.voters.size() >= 3
                        && !membership.pending()) {
                    trace("node " + victim.id + ": a log record goes bad");
                    victim.crash();
                    victim.disk.corruptOneRecord();
                    queue.after(duration, victim::start);
                }
            }
            case 11 -> {
                // The victim's disk fills: its syncs fail until space is freed and it is restarted.
                if (victim.alive) {
                    trace("node " + victim.id + ": disk full");
                    victim.disk.full = true;
                    queue.after(duration, () -> freeDisk(victim));
                }
            }
            case 8 -> {
                // A presence holder dies for good.
                SimHolder h = holders.get(random.nextInt(holders.size()));
                h.die();
            }
            default -> {
                // A power cut: every replica at once, each losing part of what it had not synced.
                for (SimNode n : nodes) {
                    if (n.alive) {
                        n.crash();
                    }
                }
                for (SimNode n : nodes) {
                    queue.after(10 + random.nextInt((int) duration), () -> {
                        if (!n.alive) {
                            n.start();
                        }
                    });
                }
            }
        }
    }

    private void healLinks() {
        double loss = network.loss;
        double dup = network.duplication;
        network.healAll();
        network.loss = loss;
        network.duplication = dup;
    }

    /** Space freed on a full disk, and the member restarted (it stopped acknowledging when a sync failed). */
    private void freeDisk(SimNode n) {
        if (n.disk.full) {
            n.disk.full = false;
            n.crash();
            n.start();
        }
    }

    private void healEverything() {
        network.healAll();
        network.maxDelay = 8;
        for (SimNode n : nodes) {
            freeDisk(n);
        }
        for (SimNode n : nodes) {
            if (!n.alive) {
                n.start();
            }
        }
        healedAt = queue.now();
    }

    boolean running() {
        return clientsRunning;
    }

    /** Presence holders keep going through the quiet end of the run, where session timing is checked. */
    long holdersUntil() {
        return options.durationMs() + 2_500;
    }

    /** A session opened or ended: remembered the first time any replica applies it. */
    void sessionChanged(io.cairn.proto.State.SessionOp op, ApplyResult r) {
        if (op.getKind() != io.cairn.proto.State.SessionOp.Kind.OPEN) {
            sessionEnds.putIfAbsent(op.getId(), new long[] {queue.now(), op.getKind().getNumber()});
        }
    }

    private static final boolean TRACE = Boolean.getBoolean("cairn.sim.trace");

    void trace(String what) {
        if (TRACE) {
            System.out.println("t=" + queue.now() + " " + what);
        }
    }

    void deliver(long to, PeerMessage m) {
        if (TRACE) {
            System.out.println("t=" + queue.now() + " " + m.getFrom() + "->" + to + " " + m.getBodyCase() + " b="
                    + m.getBallot().getRound() + "." + m.getBallot().getNode() + " " + brief(m));
        }
        SimNode n = node(to);
        if (n != null) {
            n.receive(m);
        }
    }

    private static String brief(PeerMessage m) {
        StringBuilder b = new StringBuilder();
        java.util.function.Consumer<java.util.List<SlotEntry>> entries = es -> es.forEach(e -> b.append(e.getSlot()).append('@')
                .append(e.getBallot().getRound()).append('.').append(e.getBallot().getNode()).append('#')
                .append(Integer.toHexString(e.getValue().hashCode())).append(' '));
        switch (m.getBodyCase()) {
            case ACCEPT -> { entries.accept(m.getAccept().getEntriesList()); b.append("commit=").append(m.getAccept().getCommit()); }
            case ACCEPTED -> b.append(m.getAccepted().getSlotsList());
            case PROMISE -> { entries.accept(m.getPromise().getAcceptedList()); b.append("chosenUpTo=").append(m.getPromise().getChosenUpTo())
                    .append(" pre=").append(m.getPromise().getPre()); }
            case CHOSEN -> { entries.accept(m.getChosen().getEntriesList()); b.append("commit=").append(m.getChosen().getCommit()); }
            case HEARTBEAT -> b.append("commit=").append(m.getHeartbeat().getCommit());
            case PREPARE -> b.append("from=").append(m.getPrepare().getFromSlot()).append(" pre=").append(m.getPrepare().getPre());
            case NACK -> b.append("promised=").append(m.getNack().getPromised().getRound()).append('.').append(m.getNack().getPromised().getNode());
            default -> { }
        }
        return b.toString();
    }

    // ---- clients ----------------------------------------------------------------------------

    /** The member with this id, or null (never added). */
    SimNode node(long id) {
        for (SimNode n : nodes) {
            if (n.id == id) {
                return n;
            }
        }
        return null;
    }

    /** A new member, with the disk faults planted where a bug is. */
    SimNode addNode(long id, List<Member> initial) {
        SimNode n = new SimNode(id, this, initial, new Random(random.nextLong()));
        n.disk.fsyncLies = options.plant() == Plant.LYING_FSYNC;
        n.disk.snapshotSlotOffByOne = options.plant() == Plant.APPLY_TWICE;
        nodes.add(n);
        return n;
    }

    /** No two replicas lead under one ballot, ever (checked every tick). */
    private void checkLeaders() {
        Map<String, Long> leaders = new HashMap<>();
        for (SimNode n : nodes) {
            if (n.alive && n.isLeader()) {
                Long other = leaders.putIfAbsent(n.replica.ballotOnLoop().toString(), n.id);
                if (other != null) {
                    violation("nodes " + other + " and " + n.id + " both lead under ballot " + n.replica.ballotOnLoop());
                }
            }
        }
        if (queue.now() < options.durationMs() + 3_000) {
            queue.after(SimNode.TICK_MS, this::checkLeaders);
        }
    }

    /**
     * The members still in service: not stopped for good (removed, or failed by their disk), and
     * in the membership as the most advanced of them knows it (a member whose removal or addition
     * the operator never heard the end of is out of it, or never got in).
     */
    List<SimNode> serving() {
        List<SimNode> running = nodes.stream().filter(n -> n.stoppedBecause == null && n.alive).toList();
        SimNode ahead = running.stream().max(java.util.Comparator.comparingLong(SimNode::applied)).orElse(null);
        if (ahead == null) {
            return running;
        }
        Set<Long> in = ahead.replica.membersOnLoop().stream().map(Member::getId).collect(Collectors.toSet());
        return running.stream().filter(n -> in.contains(n.id)).toList();
    }

    /** A member refused to start: it stays down; the rest of the cluster must stay correct. */
    void memberStopped(SimNode n, String why) {
        if (TRACE) {
            System.out.println("t=" + queue.now() + " node " + n.id + " stopped: " + why);
        }
        if (why == null || !why.contains("corrupt") || !n.disk.corrupted()) {
            violation("member " + n.id + " could not start: " + why);
        }
    }

    private boolean planted;

    /**
     * How replica {@code node} applies commands: the tree's own apply, except where a bug is
     * planted (Plant), where replica 1 or 2 gets one client write to /k wrong, as a broken replica would.
     */
    Replica.Applier applier(long node) {
        boolean lose = options.plant() == Plant.LOSE_ACKNOWLEDGED_WRITE && node == 1;
        boolean diverge = options.plant() == Plant.DIVERGE && node == 2;
        if (options.plant() == Plant.EXPIRY_IGNORED) {
            return (tree, cmd, at) -> cmd.hasSessionOp() && cmd.getSessionOp().getKind() == io.cairn.proto.State.SessionOp.Kind.EXPIRE
                    ? tree.apply(Command.newBuilder().setTxn(Txn.getDefaultInstance()).build(), at) : tree.apply(cmd, at);
        }
        if (!lose && !diverge) {
            return Replica.Applier.TREE;
        }
        return (tree, cmd, at) -> {
            boolean clientWrite = cmd.hasTxn() && cmd.getTxn().getSuccessCount() > 0 && cmd.getTxn().getCompareCount() == 0
                    && cmd.getTxn().getSuccess(0).getPath().startsWith("/k/") && cmd.getTxn().getSuccess(0).getKind() == Op.Kind.SET
                    && cmd.getTxn().getSuccess(0).getRev() == -1;
            if (planted || !clientWrite || tree.rev() <= 20) {
                return tree.apply(cmd, at);
            }
            planted = true;
            Command.Builder wrong = cmd.toBuilder();
            if (lose) {
                // Answers its client as if applied, but the write lands under another name.
                wrong.getTxnBuilder().getSuccessBuilder(0).setPath("/lost/" + tree.rev());
            } else {
                // Also writes a file nobody else has, and nobody will overwrite.
                wrong.getTxnBuilder().addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/diverged/" + node)
                        .setValue(ByteString.copyFromUtf8("x")));
            }
            return tree.apply(wrong.build(), at);
        };
    }

    SimNode pickAlive() {
        List<SimNode> alive = nodes.stream().filter(n -> n.alive).toList();
        return alive.isEmpty() ? null : alive.get(random.nextInt(alive.size()));
    }

    private void clientLoop(int client) {
        if (!clientsRunning) {
            return;
        }
        SimNode node = pickAlive();
        if (node == null) {
            queue.after(20, () -> clientLoop(client));
            return;
        }
        int kind = random.nextInt(10);
        String path = KEYS[random.nextInt(KEYS.length)];
        if (kind < 4) {
            read(client, node, path);
        } else if (kind < 8) {
            long expected = random.nextInt(3) == 0 ? -1 : currentGuess(node, path) + (random.nextInt(4) == 0 ? 1 : 0);
            String value = "c" + client + "-" + queue.seq();
            boolean delete = random.nextInt(5) == 0;
            Input in = delete ? Input.del(path, expected) : Input.set(path, value, expected);
            Op op = delete
                    ? Op.newBuilder().setKind(Op.Kind.DEL).setPath(path).setRev(expected).build()
                    : Op.newBuilder().setKind(Op.Kind.SET).setPath(path).setValue(ByteString.copyFromUtf8(value)).setRev(expected).build();
            write(client, node, in, Command.newBuilder().setTxn(Txn.newBuilder().addSuccess(op)).build());
        } else {
            String other = KEYS[random.nextInt(KEYS.length)];
            long expected = currentGuess(node, path);
            String value = "t" + client + "-" + queue.seq();
            Input in = Input.txn(List.of(new KvModel.RevCompare(path, expected)),
                    List.of(new KvModel.TxnWrite(path, value), new KvModel.TxnWrite(other, value)));
            Txn txn = Txn.newBuilder()
                    .addCompare(Compare.newBuilder().setPath(path).setTarget(Compare.Target.REV).setOp(Compare.Op.EQUAL).setRev(expected))
                    .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath(path).setValue(ByteString.copyFromUtf8(value)))
                    .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath(other).setValue(ByteString.copyFromUtf8(value)))
                    .build();
            write(client, node, in, Command.newBuilder().setTxn(txn).build());
        }
    }

    /** A client's guess of a file's rev, from a possibly stale local read (CAS may then fail, as in life). */
    private long currentGuess(SimNode node, String path) {
        FileEntry f = node.tree().get(path, 0);
        return Math.max(0, f.rev());
    }

    private void next(int client) {
        queue.after(random.nextInt(15), () -> clientLoop(client));
    }

    private void read(int client, SimNode node, String path) {
        long call = queue.seq();
        boolean[] done = {false};
        node.read(tree -> tree.get(path, 0)).whenComplete((f, e) -> {
            if (done[0]) {
                return;
            }
            done[0] = true; // a read without an answer had no effect: it is left out
            if (e == null) {
                String v = f.value() == null ? null : new String(f.value(), java.nio.charset.StandardCharsets.UTF_8);
                history.add(new Operation(client, call, queue.seq(), Input.get(path), Output.read(v, Math.max(0, f.rev()))));
            }
            next(client);
        });
        queue.after(CLIENT_TIMEOUT_MS, () -> {
            if (!done[0]) {
                done[0] = true;
                next(client);
            }
        });
    }

    private void write(int client, SimNode node, Input in, Command cmd) {
        long call = queue.seq();
        long calledAt = queue.now();
        if (options.plant() == Plant.STALL_AFTER_HEAL && healedAt >= 0) {
            return; // planted: this client never writes again
        }
        boolean[] done = {false};
        CompletableFuture<ApplyResult> request = node.write(cmd);
        if (TRACE) {
            request.whenComplete((r, e) -> trace("client " + client + ": " + in + " through node " + node.id + " (called at "
                    + calledAt + "): " + (e != null ? e.toString() : r.ok() ? "rev " + r.rev() : r.error().code().name())));
        }
        Runnable unknown = () -> {
            if (!done[0]) {
                done[0] = true;
                unknownProposal.put(history.size(), request);
                history.add(new Operation(client, call, Operation.UNKNOWN, in, null));
                next(client);
            }
        };
        request.whenComplete((result, e) -> {
            Long pid = proposalOf.get(request);
            boolean claimed = e != null && (saysNotApplied(e) || options.plant() == Plant.NOT_APPLIED_WHEN_UNKNOWN && node.id == 1);
            if (claimed && pid != null) {
                saidNotApplied.put(pid, queue.now()); // even when its client gave up: the claim must hold
            }
            if (e != null) {
                unknown.run(); // failed or timed out: it may still have been, or be, applied
                return;
            }
            if (done[0]) {
                return; // the client gave up; its operation stays "unknown"
            }
            done[0] = true;
            Output out = output(in, result);
            history.add(new Operation(client, call, queue.seq(), in, out));
            if (result.ok() && (in.kind() != KvModel.Kind.TXN || result.succeeded())) {
                Map<String, String> wrote = new java.util.TreeMap<>();
                switch (in.kind()) {
                    case SET -> wrote.put(in.path(), in.value());
                    case DEL -> wrote.put(in.path(), null);
                    case TXN -> in.writes().forEach(w -> wrote.put(w.path(), w.value()));
                    default -> { }
                }
                acknowledged.add(new Acked(result.rev(), wrote));
                // Progress after the heal counts only writes the clients made after it.
                if (healedAt >= 0 && calledAt >= healedAt && firstWriteAfterHeal < 0) {
                    firstWriteAfterHeal = queue.now();
                }
            }
            next(client);
        });
        queue.after(CLIENT_TIMEOUT_MS, unknown);
    }

    /** The replica's answer that a write never applied and never will, so a client may retry it. */
    private static boolean saysNotApplied(Throwable e) {
        return Causes.unwrapped(e) instanceof StoreException s && s.code() == Err.UNAVAILABLE && s.getMessage().endsWith(Replica.NOT_APPLIED);
    }

    /** A client's request became a proposal with this id (what the replicas report applying). */
    void proposed(CompletableFuture<ApplyResult> request, long proposalId) {
        proposalOf.put(request, proposalId);
    }

    /**
     * Replica {@code node} rebuilt its state from a snapshot (a restart, or one installed from
     * the leader): it applies the log after it again, so its count of applied proposals starts over.
     */
    void stateRebuilt(long node) {
        appliedByNode.remove(node);
    }

    /** Replica {@code node} applied proposal {@code proposalId} from {@code slot}: at most once, from one slot. */
    void recordApplied(long node, long slot, long proposalId, ApplyResult r) {
        appliedByProposal.putIfAbsent(proposalId, r);
        if (!appliedByNode.computeIfAbsent(node, n -> new java.util.HashSet<>()).add(proposalId)) {
            violation("node " + node + " applied proposal " + proposalId + " twice (again at slot " + slot + ")");
        }
        Long first = slotOfProposal.putIfAbsent(proposalId, slot);
        if (first != null && first != slot) {
            violation("proposal " + proposalId + " was chosen at slot " + first + " and at slot " + slot);
        }
    }

    /**
     * The history as the checker sees it. A write whose client gave up still has a definite fate
     * here: the replicas either applied it (its result is then known, only its return time is not)
     * or never did (then it had no effect and is left out). A write that never became a proposal
     * (refused on the way in, or lost with its member's loop in a crash) had no effect either.
     * Pinning those fates keeps the search small without weakening it.
     */
    private List<Operation> resolvedHistory() {
        List<Operation> out = new ArrayList<>(history.size());
        for (int i = 0; i < history.size(); i++) {
            Operation o = history.get(i);
            if (o.outcomeKnown() || !unknownProposal.containsKey(i)) {
                out.add(o);
                continue;
            }
            Long pid = proposalOf.get(unknownProposal.get(i));
            ApplyResult r = pid == null ? null : appliedByProposal.get(pid);
            if (r != null) {
                out.add(new Operation(o.client(), o.call(), Operation.UNKNOWN, o.input(), output(o.input(), r)));
            }
        }
        return out;
    }

    private static Output output(Input in, ApplyResult r) {
        if (!r.ok()) {
            StoreException e = r.error();
            if (e.code() == Err.REV_MISMATCH) {
                return Output.refused(KvModel.Error.REV_MISMATCH);
            }
            if (e.code() == Err.NOENT) {
                return Output.refused(KvModel.Error.NOENT);
            }
            throw new IllegalStateException("unexpected refusal " + e.code() + ": " + e.getMessage());
        }
        if (in.kind() == KvModel.Kind.TXN) {
            return Output.txn(r.succeeded(), r.rev());
        }
        return Output.wrote(r.rev());
    }

    // ---- invariants -------------------------------------------------------------------------

    void violation(String what) {
        if (violations.size() < 20) {
            violations.add("t=" + queue.now() + "ms: " + what);
        }
    }

    /** One value per slot: every replica applies the same value at each slot. */
    void checkSlotValue(long node, SlotEntry e) {
        SlotEntry first = chosen.putIfAbsent(e.getSlot(), e);
        if (first != null && !first.getValue().equals(e.getValue())) {
            violation("slot " + e.getSlot() + ": node " + node + " applied a different value than another replica"
                    + " (ballot " + e.getBallot().getRound() + "." + e.getBallot().getNode() + " against "
                    + first.getBallot().getRound() + "." + first.getBallot().getNode() + ")");
        }
    }

    /** Replicas that applied the same slots are at the same store revision. */
    void checkRevAtSlot(long node, long slot, long rev) {
        Long first = revAtSlot.putIfAbsent(slot, rev);
        if (first != null && first != rev) {
            violation("slot " + slot + ": node " + node + " is at rev " + rev + ", another replica at " + first);
        }
    }

    /** Every replica produced the same events for each revision. */
    void checkEvents(long node, ApplyResult r) {
        if (r.events().isEmpty()) {
            return;
        }
        List<Event> first = eventsByRev.putIfAbsent(r.rev(), r.events());
        if (first != null && !sameEvents(first, r.events())) {
            violation("rev " + r.rev() + ": node " + node + " produced different events");
        }
    }

    static boolean sameFiles(List<FileEntry> a, List<FileEntry> b) {
        return sameLists(a, b, (x, y) -> x.path().equals(y.path()) && x.rev() == y.rev() && Arrays.equals(x.value(), y.value()));
    }

    static boolean sameEvents(List<Event> a, List<Event> b) {
        return sameLists(a, b, (x, y) -> x.rev() == y.rev() && x.path().equals(y.path()) && x.deleted() == y.deleted()
                && Arrays.equals(x.value(), y.value()));
    }

    private static <T> boolean sameLists(List<T> a, List<T> b, java.util.function.BiPredicate<T, T> same) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!same.test(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private void finalChecks() {
        // A write answered "not applied" never applies: its client may have sent it again.
        for (Map.Entry<Long, Long> n : saidNotApplied.entrySet()) {
            if (appliedByProposal.containsKey(n.getKey())) {
                violation("proposal " + n.getKey() + " was answered \"not applied\" at t=" + n.getValue() + "ms but applied at slot "
                        + slotOfProposal.get(n.getKey()));
            }
        }
        // Liveness: after the faults healed, a write committed within the bound.
        if (healedAt >= 0 && (firstWriteAfterHeal < 0 || firstWriteAfterHeal - healedAt > LIVENESS_BOUND_MS)) {
            violation("no write committed within " + LIVENESS_BOUND_MS + " ms after faults healed (healed at "
                    + healedAt + ", first write " + firstWriteAfterHeal + ")");
        }
        // Replicas converge: all applied the same slots once healed and quiet.
        List<SimNode> serving = serving();
        long maxApplied = serving.stream().mapToLong(SimNode::applied).max().orElse(0);
        for (SimNode n : serving) {
            if (n.applied() < maxApplied) {
                violation("node " + n.id + " applied " + n.applied() + " of " + maxApplied + " slots after healing");
            }
        }
        // No acknowledged write is lost: what each client was told it wrote is what every
        // replica's tree holds at that revision (the history window holds every revision here).
        for (SimNode n : serving) {
            for (Acked a : acknowledged) {
                if (a.rev() > n.tree().rev()) {
                    violation("node " + n.id + " ends at rev " + n.tree().rev() + ", before the acknowledged write at rev " + a.rev());
                    break;
                }
                for (Map.Entry<String, String> w : a.wrote().entrySet()) {
                    FileEntry f = n.tree().get(w.getKey(), a.rev());
                    String held = f.value() == null ? null : new String(f.value(), java.nio.charset.StandardCharsets.UTF_8);
                    boolean ok = w.getValue() == null ? f.value() == null : w.getValue().equals(held) && f.rev() == a.rev();
                    if (!ok) {
                        violation("acknowledged write of " + w.getKey() + " = " + w.getValue() + " at rev " + a.rev()
                                + " is not in node " + n.id + "'s tree (it holds " + held + " from rev " + f.rev() + ")");
                    }
                }
            }
        }
        // Replicas converge: the same revision and the same files, byte for byte.
        SimNode any = serving.get(0);
        List<FileEntry> reference = any.tree().walk(Glob.compile("/**"), 0, 0, Integer.MAX_VALUE).items();
        for (SimNode n : serving) {
            if (n.tree().rev() != any.tree().rev()) {
                violation("node " + n.id + " ends at rev " + n.tree().rev() + ", node " + any.id + " at " + any.tree().rev());
                continue;
            }
            List<FileEntry> files = n.tree().walk(Glob.compile("/**"), 0, 0, Integer.MAX_VALUE).items();
            if (!sameFiles(reference, files)) {
                violation("node " + n.id + " ends with other files than node " + any.id + " at rev " + n.tree().rev());
            }
        }
        checkSessions();
        checkMembership(serving);
        // Watches saw every matching change exactly once, in order.
        for (SimWatcher w : watchers) {
            String problem = w.verify();
            if (problem != null) {
                violation(problem);
            }
        }
        // The client history is linearizable.
        List<Operation> checked = resolvedHistory();
        // Presence holders write /e/** too, so revisions advance outside this history.
        LinearizabilityChecker.Result lin = LinearizabilityChecker.check(checked, KvModel.State.empty(),
                Long.getLong("cairn.sim.checkerBudget", LinearizabilityChecker.DEFAULT_BUDGET), true);
        if (!lin.linearizable()) {
            violation("history of " + checked.size() + " operations is not linearizable: " + lin.detail());
        }
    }

    /**
     * Every replica ends with the membership the operator was told it has (when the last change
     * is not of unknown outcome), and knows the same one as its peers.
     */
    private void checkMembership(List<SimNode> serving) {
        List<Member> reference = serving.get(0).replica.membersOnLoop();
        for (SimNode n : serving) {
            List<Member> ms = n.replica.membersOnLoop();
            if (!ms.equals(reference)) {
                violation("node " + n.id + " ends with members " + ids(ms) + ", node " + serving.get(0).id + " with " + ids(reference));
            }
        }
        if (!options.membership() || membership.uncertain) {
            return;
        }
        java.util.TreeSet<Long> voters = new java.util.TreeSet<>();
        java.util.TreeSet<Long> learners = new java.util.TreeSet<>();
        reference.forEach(m -> (m.getLearner() ? learners : voters).add(m.getId()));
        if (!voters.equals(membership.voters) || !learners.equals(membership.learners)) {
            violation("the replicas end with voters " + voters + " and learners " + learners + "; the operator was told "
                    + membership.voters + " and " + membership.learners);
        }
    }

    private static String ids(List<Member> ms) {
        return ms.stream().map(m -> m.getId() + (m.getLearner() ? "L" : "")).toList().toString();
    }

    /**
     * Presence invariants: no ephemeral file outlives its session; a dead holder's files go
     * within TTL plus a bound once the cluster can commit again; a live holder's session is not
     * expired once the faults have healed; what a holder believes it holds is what the tree holds.
     */
    private void checkSessions() {
        io.cairn.node.store.VersionedTree tree = serving().get(0).tree();
        for (io.cairn.node.store.FileEntry f : tree.walk(io.cairn.node.store.Glob.compile("/e/**"), 0, 0, 10_000).items()) {
            long owner = tree.owner(f.path());
            if (owner != 0 && !tree.hasSession(owner)) {
                violation(f.path() + " outlived its session " + owner);
            }
            if (owner == 0) {
                violation(f.path() + " lost its session binding");
            }
        }
        long heal = healedAt < 0 ? 0 : healedAt;
        for (SimHolder h : holders) {
            if (!h.alive) {
                long from = Math.max(h.diedAt, heal);
                for (long sid : h.sessions) {
                    if (tree.hasSession(sid)) {
                        violation("holder " + h.id + " died at " + h.diedAt + " but its session " + sid + " is still open");
                        continue;
                    }
                    long[] end = sessionEnds.get(sid);
                    if (end != null && end[0] > from + SimHolder.TTL_MS + SESSION_BOUND_MS) {
                        violation("session " + sid + " of holder " + h.id + " (died at " + h.diedAt + ") ended only at " + end[0]);
                    }
                }
                continue;
            }
            for (long sid : h.sessions) {
                long[] end = sessionEnds.get(sid);
                if (end != null && end[1] == io.cairn.proto.State.SessionOp.Kind.EXPIRE_VALUE
                        && end[0] > heal + SimHolder.TTL_MS + SESSION_BOUND_MS) {
                    violation("session " + sid + " of live holder " + h.id + " expired at " + end[0]
                            + ", long after the faults healed at " + heal);
                }
            }
            if (h.session != 0 && !h.uncertain && h.inFlight == 0 && tree.hasSession(h.session)) {
                java.util.TreeSet<String> held = new java.util.TreeSet<>();
                tree.sessions().stream().filter(s -> s.id() == h.session).forEach(s -> held.addAll(s.files()));
                if (!held.equals(h.files)) {
                    violation("holder " + h.id + " believes it holds " + h.files + " but session " + h.session + " holds " + held);
                }
            }
        }
    }

    /** The events of every revision in (from, to], in order, that match {@code glob}. */
    List<Event> globalEvents(long fromExclusive, long toInclusive, Glob glob) {
        List<Event> out = new ArrayList<>();
        for (long r = fromExclusive + 1; r <= toInclusive; r++) {
            List<Event> evs = eventsByRev.get(r);
            if (evs == null) {
                continue;
            }
            out.addAll(evs.stream().filter(e -> glob.matches(e.path())).collect(Collectors.toList()));
        }
        return out;
    }
}
