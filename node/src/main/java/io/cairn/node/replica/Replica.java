package io.cairn.node.replica;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.node.paxos.BallotNum;
import io.cairn.node.paxos.PaxosConfig;
import io.cairn.node.paxos.PaxosCore;
import io.cairn.node.paxos.Ready;
import io.cairn.node.paxos.ReadyGate;
import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Glob;
import io.cairn.node.store.Paths;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Response.Err;
import io.cairn.proto.Msg.Txn;
import io.cairn.proto.Peer.ConfigChange;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.Peer.WalRecord;
import io.cairn.proto.State.Command;
import io.cairn.node.server.KvService;
import io.cairn.node.server.WatchHandle;
import io.cairn.node.server.WatchSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica: drives the pure {@link PaxosCore} with time, its disk and the peer network, and
 * applies what it commits to the {@link VersionedTree}. It is what a member runs and what the
 * simulator drives: everything it touches outside memory comes through its {@link Environment}
 * (a member's: {@link FileStorage}, the member's network event loop and {@link LoopClock}; the
 * simulator's: a simulated disk, its event queue and its clock). All of it runs on one thread,
 * the loop (a member's network event loop, so a request or peer message read from a socket is
 * handled without a hand-off to another thread). The driver contract of {@link Ready} is kept by
 * {@link ReadyGate}: a Ready's messages leave only after its records, and all before them, are
 * durable; what it commits applies at once.
 */
public final class Replica implements KvService, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replica.class);

    /** How the replica runs. */
    public record Options(int tickMs, int electionTicks, int heartbeatTicks, int window, int maxBatch,
            long snapshotEvery, long requestTimeoutMs) {
        public static Options defaults() {
            return new Options(10, 30, 5, 8, 512, 500_000, 15_000);
        }
    }

    /** Applies a committed command to the tree: {@link VersionedTree#apply}, but for a planted bug. */
    @FunctionalInterface
    public interface Applier {
        Applier TREE = VersionedTree::apply;

        ApplyResult apply(VersionedTree tree, Command command);
    }

    /**
     * Everything a replica touches outside memory: its disk, the loop it runs on, its clock and
     * timers, where its randomness comes from (proposal ids, election timeouts), who watches it
     * apply, and how it applies.
     */
    public record Environment(ReplicaStorage storage, Executor loop, ReplicaClock clock, Random random,
            ReplicaObserver observer, Applier applier) {
        /** A member's: files under {@code dir}, its event loop, the system clock. */
        public static Environment member(long id, Path dir, ScheduledExecutorService loop) throws IOException {
            return new Environment(new FileStorage(id, dir), loop, new LoopClock(loop), new Random(new SecureRandom().nextLong()),
                    ReplicaObserver.NONE, Applier.TREE);
        }
    }

    private record WaitingRead(long index, Runnable serve) {}

    private final long id;
    private final Options options;
    private final StoreConfig storeConfig;
    private final Executor loop;
    private final ReplicaStorage storage;
    private final ReplicaClock clock;
    private final ReplicaObserver observer;
    private final Applier applier;
    private final WatchHub hub = new WatchHub();
    private final NodeMetrics metrics = new NodeMetrics();
    private final Random ids;
    private Consumer<PeerMessage> network = m -> { };
    private PaxosCore core;
    private VersionedTree tree;
    private long applied;
    /**
     * Log entries (proposals, or one for an empty slot) applied since the last snapshot: what
     * snapshots are counted in. A slot batches many writes under load, and the log in memory
     * holds every one of them until a snapshot; counted in slots, it grew to the better part of a
     * gigabyte under the benchmark's write load, and young collections copying it ran to tens of
     * milliseconds.
     */
    private long entriesSinceSnapshot;
    private boolean snapshotSaving;
    private long durableSeq;
    private boolean recovering;
    private final ReadyGate gate;
    private final Map<Long, CompletableFuture<ApplyResult>> writes = new HashMap<>();
    /** The leader each pending write or read was sent through; when it changes they cannot finish. */
    private final Map<Long, Long> sentVia = new HashMap<>();
    private final Map<Long, Runnable> readFailures = new HashMap<>();
    private final Map<Long, Consumer<Long>> readIndexWaiters = new HashMap<>();
    private final List<WaitingRead> waitingApply = new ArrayList<>();
    private final DeadlineQueue writeDeadlines = new DeadlineQueue();
    private final DeadlineQueue readDeadlines = new DeadlineQueue();
    /** Writes taken on the loop and not yet handed to the core (see {@link #proposeQueued}). */
    private List<Proposal> toPropose = new ArrayList<>();
    private volatile long leader;
    private volatile boolean caughtUp;
    private volatile boolean closed;
    private volatile IOException walFailure;
    private ReplicaClock.Timer ticker;
    private long lastLoggedLeader = -1;
    private final Runnable onLeaderChange;
    /** The membership as of the applied slot: who votes, who learns, and where they listen. */
    private final Map<Long, Member> members = new TreeMap<>();
    private volatile java.util.function.BiConsumer<Long, String> peerAddresses = (m, a) -> { };

    /** Opens a member's replica on its data in {@code dir}, run on {@code loop}. */
    public static Replica open(long id, List<Member> initialMembers, Path dir, StoreConfig storeConfig, Options options,
            ScheduledExecutorService loop, Runnable onLeaderChange) throws IOException {
        return new Replica(id, initialMembers, storeConfig, options, Environment.member(id, dir, loop), onLeaderChange);
    }

    /** Rebuilds the replica's state from the snapshot and the log its storage holds. */
    public Replica(long id, List<Member> initialMembers, StoreConfig storeConfig, Options options, Environment env,
            Runnable onLeaderChange) throws IOException {
        this.id = id;
        this.gate = new ReadyGate(new MemberEffects(), () -> durableSeq, id, m -> core.step(m));
        for (Member m : initialMembers) {
            members.put(m.getId(), m);
        }
        this.options = options;
        this.storeConfig = storeConfig;
        this.onLeaderChange = onLeaderChange;
        this.storage = env.storage();
        this.loop = env.loop();
        this.clock = env.clock();
        this.observer = env.observer();
        this.applier = env.applier();
        this.ids = env.random();
        // Members apply the same entries, so with the same count they would all snapshot at once:
        // in the benchmark three snapshot threads then took the two cores from the members for
        // most of a second (a 300-470 ms stall). Starting the count a third or two thirds of the
        // way along, by id, spreads them out for good (each then counts from zero again), and
        // only ever brings a snapshot earlier.
        entriesSinceSnapshot = Math.floorMod(id - 1, 3) * options.snapshotEvery() / 3;
        recover();
    }

    private void recover() throws IOException {
        ReplicaStorage.Recovered disk = storage.recover();
        SnapshotFile snap = disk.snapshot();
        if (snap != null && snap.getMembersCount() > 0) {
            members.clear();
            snap.getMembersList().forEach(m -> members.put(m.getId(), m));
        }
        PaxosConfig paxos = paxosConfig();
        long snapshotSlot = snap == null ? 0 : snap.getSlot();
        tree = snap == null ? new VersionedTree(storeConfig) : VersionedTree.restore(snap.getTree(), storeConfig);
        BallotNum promised = BallotNum.ZERO;
        TreeMap<Long, SlotEntry> accepted = new TreeMap<>();
        long commit = snapshotSlot;
        for (WalRecord r : disk.log()) {
            switch (r.getKindCase()) {
                case PROMISED -> promised = BallotNum.of(r.getPromised());
                case ACCEPTED -> accepted.put(r.getAccepted().getSlot(), r.getAccepted());
                case COMMIT -> commit = Math.max(commit, r.getCommit());
                default -> { }
            }
        }
        core = PaxosCore.restore(paxos, ids, promised, new ArrayList<>(accepted.values()), snapshotSlot, commit);
        applied = snapshotSlot;
        observer.rebuilt(snapshotSlot, tree.rev());
        recovering = true;
        for (SlotEntry e : core.chosenEntriesAfter(snapshotSlot)) {
            apply(e);
        }
        recovering = false;
        log.info("member {}: recovered slot {} (snapshot {}, {} log records{}), rev {}, ballot {}", id, applied,
                snapshotSlot, disk.log().size(), disk.tornTailCut() ? ", torn tail cut" : "", tree.rev(), promised);
    }

    private PaxosConfig paxosConfig() {
        java.util.Set<Long> voters = new java.util.HashSet<>();
        java.util.Set<Long> learners = new java.util.HashSet<>();
        for (Member m : members.values()) {
            (m.getLearner() ? learners : voters).add(m.getId());
        }
        return new PaxosConfig(id, voters, learners, options.electionTicks(), options.heartbeatTicks(),
                options.window(), options.maxBatch(), 256);
    }

    /**
     * Gives this member's entry the peer address it now listens on, when the membership has none:
     * a member started alone without --peer-addr records none, and gets one when restarted with
     * it. Alone, nobody else holds the membership, so filling it in here changes it everywhere;
     * a member that joins later learns it from this one. Called before {@link #start}; true when
     * it filled it in.
     */
    public boolean fillOwnPeerAddress(String addr) {
        Member me = members.get(id);
        if (me != null && me.getPeerAddr().isEmpty() && !addr.isEmpty()) {
            members.put(id, me.toBuilder().setPeerAddr(addr).build());
            return true;
        }
        return false;
    }

    /** Where peer addresses go when the membership changes (the peer transport). */
    public void onPeerAddress(java.util.function.BiConsumer<Long, String> listener) {
        this.peerAddresses = listener;
        members.values().forEach(m -> listener.accept(m.getId(), m.getPeerAddr()));
    }

    /** Connects the replica to the peer network and starts its clock. */
    public void start(Consumer<PeerMessage> network) {
        this.network = network;
        storage.start(new ReplicaStorage.Listener() {
            @Override
            public void durable(long position, int records) {
                execute(() -> {
                    metrics.walSyncs.inc();
                    metrics.walRecords.inc(records);
                    durableSeq = position;
                    release();
                });
            }

            @Override
            public void failed(IOException e) {
                walFailure = e;
                log.error("member {}: the write-ahead log failed ({}); this member stops acknowledging anything", id, e.getMessage());
            }
        });
        ticker = clock.every(options.tickMs(), guarded(() -> {
            handle(core.tick());
            expireRequests();
        }));
        sessionTimer = clock.every(50, guarded(this::sessionTick));
    }

    /** A message from another member. Any thread. */
    public void receive(PeerMessage m) {
        if (m.hasKeepalive()) {
            execute(() -> {
                long now = nowMs();
                m.getKeepalive().getSessionsList().forEach(sid -> sessionClock.keepalive(sid, now));
            });
            return;
        }
        execute(() -> handle(core.step(m)));
    }

    // ---- sessions ---------------------------------------------------------------------------
    //
    // The state machine knows which sessions exist and which files they hold; when they end is
    // the leader's call, on its own clock: it times every session from the last keepalive any
    // member passed on, and commits an EXPIRE through the log once a TTL has gone by. A new
    // leader starts every session's clock afresh, so a leader change never expires a live one.

    private final SessionClock sessionClock = new SessionClock();
    private final java.util.Set<Long> keepalivesToForward = new java.util.HashSet<>();
    private ReplicaClock.Timer sessionTimer;

    private long nowMs() {
        return clock.nowMs();
    }

    private List<SessionClock.Timed> timedSessions() {
        List<SessionClock.Timed> out = new ArrayList<>();
        tree.sessionTtls().forEach((id, ttl) -> out.add(new SessionClock.Timed(id, ttl)));
        return out;
    }

    private void sessionTick() {
        boolean leading = core.isLeader();
        if (sessionClock.leading(leading) && leading) {
            log.info("member {}: leading; every open session gets a fresh TTL ({} sessions)", id, tree.sessionCount());
        }
        if (leading) {
            for (long sid : sessionClock.expired(timedSessions(), nowMs())) {
                log.info("member {}: session {} expired (no keepalive within its TTL); deleting its files", id, sid);
                write(Command.newBuilder().setSessionOp(io.cairn.proto.State.SessionOp.newBuilder()
                        .setKind(io.cairn.proto.State.SessionOp.Kind.EXPIRE).setId(sid)).build())
                        .whenComplete((r, e) -> {
                            if (e != null) {
                                execute(() -> sessionClock.retry(sid));
                            }
                        });
            }
        } else if (!keepalivesToForward.isEmpty() && core.leader() != 0) {
            network.accept(PeerMessage.newBuilder().setFrom(id).setTo(core.leader())
                    .setKeepalive(io.cairn.proto.Peer.Keepalive.newBuilder().addAllSessions(keepalivesToForward)).build());
            keepalivesToForward.clear();
        }
    }

    @Override
    public CompletableFuture<Long> openSession(long ttlMs) {
        return write(Command.newBuilder().setSessionOp(io.cairn.proto.State.SessionOp.newBuilder()
                .setKind(io.cairn.proto.State.SessionOp.Kind.OPEN).setTtlMs(ttlMs)).build()).thenApply(r -> {
                    if (!r.ok()) {
                        throw r.error();
                    }
                    return r.session();
                });
    }

    @Override
    public CompletableFuture<Void> keepalive(long session) {
        return submit(() -> {
            if (tree.sessionEnded(session)) {
                throw new StoreException(Err.SESSION_EXPIRED, "session " + session + " has ended; its ephemeral files are gone");
            }
            if (core.isLeader()) {
                sessionClock.leading(true);
                sessionClock.keepalive(session, nowMs());
            } else {
                keepalivesToForward.add(session);
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<ApplyResult> closeSession(long session) {
        return write(Command.newBuilder().setSessionOp(io.cairn.proto.State.SessionOp.newBuilder()
                .setKind(io.cairn.proto.State.SessionOp.Kind.CLOSE).setId(session)).build());
    }

    @Override
    public CompletableFuture<List<io.cairn.proto.Msg.SessionInfo>> sessionList() {
        return submit(() -> {
            long now = nowMs();
            sessionClock.leading(core.isLeader());
            List<io.cairn.proto.Msg.SessionInfo> out = new ArrayList<>();
            for (VersionedTree.Session s : tree.sessions()) {
                long remaining = sessionClock.remaining(s.id(), s.ttlMs(), now);
                out.add(io.cairn.proto.Msg.SessionInfo.newBuilder().setId(s.id()).setTtlMs(s.ttlMs())
                        .addAllFiles(s.files()).setRemainingMs(remaining).build());
            }
            return out;
        });
    }


    @Override
    public long nodeId() {
        return id;
    }

    /** The member this replica follows (itself when leading), or 0. */
    public long leader() {
        return leader;
    }

    /** Ready for clients: a leader is known and this replica has applied what it knows chosen. */
    public boolean isReady() {
        return leader != 0 && caughtUp && walFailure == null;
    }

    /** Prometheus text for /metrics, refreshed from the loop's state. */
    public CompletableFuture<String> metricsText() {
        return submit(() -> {
            metrics.appliedSlot.set(applied);
            metrics.revision.set(tree.rev());
            metrics.leader.set(core.leader());
            metrics.isLeader.set(core.isLeader() ? 1 : 0);
            metrics.sessions.set(tree.sessionCount());
            try {
                return metrics.scrape();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** A snapshot of the replica's position, for status pages. Runs on the loop. */
    public CompletableFuture<Map<String, Object>> status() {
        return submit(() -> {
            Map<String, Object> s = new java.util.LinkedHashMap<>();
            s.put("id", id);
            s.put("role", core.role().name().toLowerCase());
            s.put("leader", core.leader());
            s.put("ballot", core.promised().toString());
            s.put("applied_slot", applied);
            s.put("chosen_slot", core.chosenUpTo());
            s.put("rev", tree.rev());
            s.put("oldest_rev", tree.oldestRev());
            s.put("voters", core.voters());
            s.put("learners", core.learners());
            return s;
        });
    }

    // ---- KvService --------------------------------------------------------------------------

    @Override
    public <T> CompletableFuture<T> read(Function<VersionedTree, T> read) {
        return read(read, false);
    }

    @Override
    public <T> CompletableFuture<T> read(Function<VersionedTree, T> read, boolean serializable) {
        if (serializable) {
            return submit(() -> read.apply(tree));
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        boolean queued = execute(() -> {
            long rid = ids.nextLong();
            sentVia.put(rid, core.leader());
            readFailures.put(rid, () -> f.completeExceptionally(new StoreException(Err.UNAVAILABLE,
                    "no leader to confirm a linearizable read; retry, or read with serializable consistency")));
            readIndexWaiters.put(rid, index -> {
                waitingApply.add(new WaitingRead(index, () -> {
                    if (readFailures.remove(rid) == null) {
                        return;
                    }
                    sentVia.remove(rid);
                    try {
                        f.complete(read.apply(tree));
                    } catch (RuntimeException e) {
                        f.completeExceptionally(e);
                    }
                }));
                serveReads();
            });
            readDeadlines.add(rid, nowMs() + options.requestTimeoutMs());
            handle(core.readIndex(rid));
        });
        if (!queued) {
            f.completeExceptionally(closedError());
        }
        return f;
    }

    /** Every path a client's command would create or change is canonical (see {@link Paths#checkWritable}). */
    private static void checkWritable(Command command) {
        for (List<io.cairn.proto.Msg.Op> branch : List.of(command.getTxn().getSuccessList(), command.getTxn().getFailureList())) {
            for (io.cairn.proto.Msg.Op op : branch) {
                if (op.getKind() == io.cairn.proto.Msg.Op.Kind.SET) {
                    Paths.checkWritable(op.getPath());
                }
            }
        }
    }

    private void expireRead(long rid) {
        sentVia.remove(rid);
        readIndexWaiters.remove(rid);
        Runnable fail = readFailures.remove(rid);
        if (fail != null) {
            fail.run();
        }
    }

    @Override
    public CompletableFuture<ApplyResult> write(Command command) {
        CompletableFuture<ApplyResult> f = new CompletableFuture<>();
        try {
            checkWritable(command);
        } catch (StoreException bad) {
            f.completeExceptionally(bad);
            return f;
        }
        boolean queued = execute(() -> {
            if (walFailure != null) {
                f.completeExceptionally(new StoreException(Err.UNAVAILABLE, "member " + id + " cannot write its log: " + walFailure.getMessage()));
                return;
            }
            long pid = ids.nextLong();
            writes.put(pid, f);
            observer.proposed(pid, f);
            sentVia.put(pid, core.leader());
            writeDeadlines.add(pid, nowMs() + options.requestTimeoutMs());
            toPropose.add(Proposal.newBuilder().setId(pid).setCommand(command).build());
            if (toPropose.size() == 1) {
                execute(this::proposeQueued);
            }
        });
        if (!queued) {
            f.completeExceptionally(closedError());
        }
        return f;
    }

    /**
     * Proposes every write taken since the last call, as one batch: this task was queued behind
     * the writes already waiting for the loop when the first of them ran, so a burst of client
     * requests becomes one slot (or, on a follower, one forward to the leader) instead of a slot,
     * an accept per peer and a log record each.
     */
    private void proposeQueued() {
        if (toPropose.isEmpty()) {
            return;
        }
        List<Proposal> batch = toPropose;
        toPropose = new ArrayList<>();
        handle(core.propose(batch));
    }

    private void expireWrite(long pid) {
        CompletableFuture<ApplyResult> w = writes.remove(pid);
        if (w != null) {
            sentVia.remove(pid);
            w.completeExceptionally(new StoreException(Err.UNAVAILABLE, "the write was not committed within "
                    + options.requestTimeoutMs() + " ms; its outcome is unknown"));
        }
    }

    /** Fails the writes and reads that have waited their whole timeout. Runs every tick. */
    private void expireRequests() {
        long now = nowMs();
        writeDeadlines.expire(now, this::expireWrite);
        readDeadlines.expire(now, this::expireRead);
    }

    @Override
    public WatchHandle watch(Glob glob, long fromRev, boolean once, WatchSink sink) {
        WatchHub.Watcher[] self = new WatchHub.Watcher[1];
        WatchHub.Watcher w = hub.new Watcher(glob, once, sink, () -> execute(() -> self[0].cancelOnThread()));
        self[0] = w;
        if (!execute(() -> hub.register(w, tree, fromRev))) {
            sink.end(closedError());
        }
        return w;
    }

    // ---- membership -------------------------------------------------------------------------

    /** The members as this replica knows them, with which one leads. */
    public CompletableFuture<List<Member>> members() {
        return submit(() -> List.copyOf(members.values()));
    }

    /** Adds a member as a learner: it receives the log but does not vote until promoted. */
    public CompletableFuture<ApplyResult> addLearner(Member m) {
        return submit(() -> {
            if (members.containsKey(m.getId())) {
                throw new StoreException(Err.INVALID, "member " + m.getId() + " is already in the cluster");
            }
            Member me = members.get(id);
            if (me != null && me.getPeerAddr().isEmpty()) {
                throw new StoreException(Err.INVALID, "member " + id + " was started alone without a peer address,"
                        + " so a new member could not reach it; restart it with --peer-addr HOST:PORT, then add members");
            }
            return m;
        }).thenCompose(x -> propose(ConfigChange.newBuilder().setKind(ConfigChange.Kind.ADD_LEARNER)
                .setMember(m.toBuilder().setLearner(true)).build()));
    }

    /** Makes a learner a voter. */
    public CompletableFuture<ApplyResult> promote(long member) {
        return submit(() -> {
            Member m = members.get(member);
            if (m == null) {
                throw new StoreException(Err.NOENT, "no member " + member);
            }
            if (!m.getLearner()) {
                throw new StoreException(Err.INVALID, "member " + member + " is already a voter");
            }
            return m;
        }).thenCompose(m -> propose(ConfigChange.newBuilder().setKind(ConfigChange.Kind.PROMOTE).setMember(m).build()));
    }

    /** Removes a member; when it is the leader, it hands leadership to another voter first. */
    public CompletableFuture<ApplyResult> remove(long member) {
        return submit(() -> {
            Member m = members.get(member);
            if (m == null) {
                throw new StoreException(Err.NOENT, "no member " + member);
            }
            long voters = members.values().stream().filter(x -> !x.getLearner()).count();
            if (!m.getLearner() && voters <= 1) {
                throw new StoreException(Err.INVALID, "member " + member + " is the last voter; it cannot be removed");
            }
            return m;
        }).thenCompose(m -> {
            if (member != id || !core.isLeader()) {
                return propose(ConfigChange.newBuilder().setKind(ConfigChange.Kind.REMOVE).setMember(m).build());
            }
            CompletableFuture<ApplyResult> done = new CompletableFuture<>();
            execute(() -> {
                handle(core.transferLeadership());
                log.info("member {}: handing leadership to member {} before removing itself", id, core.transferTarget());
                awaitOtherLeader(nowMs() + 5_000, m, done);
            });
            return done;
        });
    }

    private void awaitOtherLeader(long deadline, Member m, CompletableFuture<ApplyResult> done) {
        long l = core.leader();
        if (l != 0 && l != id) {
            propose(ConfigChange.newBuilder().setKind(ConfigChange.Kind.REMOVE).setMember(m).build()).whenComplete((r, e) -> {
                if (e != null) {
                    done.completeExceptionally(e);
                } else {
                    done.complete(r);
                }
            });
            return;
        }
        if (nowMs() > deadline) {
            done.completeExceptionally(new StoreException(Err.UNAVAILABLE,
                    "no other member took over leadership within 5 s; member " + id + " was not removed"));
            return;
        }
        clock.after(20, guarded(() -> awaitOtherLeader(deadline, m, done)));
    }

    /**
     * Proposes a membership change, again while no leader takes it (an election, or the leader
     * handing over before its own removal), until the request timeout.
     */
    private CompletableFuture<ApplyResult> propose(ConfigChange change) {
        CompletableFuture<ApplyResult> done = new CompletableFuture<>();
        proposeUntil(change, nowMs() + options.requestTimeoutMs(), done);
        return done;
    }

    private void proposeUntil(ConfigChange change, long deadline, CompletableFuture<ApplyResult> done) {
        proposeOnce(change).whenComplete((r, e) -> {
            if (e == null) {
                done.complete(r);
                return;
            }
            Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            // Membership changes are idempotent (adding, promoting or removing twice changes
            // nothing more), so even a change whose outcome is unknown is safe to propose again.
            boolean retry = c instanceof StoreException se && se.code() == Err.UNAVAILABLE;
            if (retry && nowMs() < deadline && !closed) {
                try {
                    clock.after(100, guarded(() -> proposeUntil(change, deadline, done)));
                } catch (RejectedExecutionException x) {
                    done.completeExceptionally(closedError());
                }
            } else {
                done.completeExceptionally(c);
            }
        });
    }

    private CompletableFuture<ApplyResult> proposeOnce(ConfigChange change) {
        CompletableFuture<ApplyResult> f = new CompletableFuture<>();
        boolean queued = execute(() -> {
            long pid = ids.nextLong();
            writes.put(pid, f);
            observer.proposed(pid, f);
            sentVia.put(pid, core.leader());
            clock.after(options.requestTimeoutMs(), guarded(() -> {
                CompletableFuture<ApplyResult> w = writes.remove(pid);
                if (w != null) {
                    w.completeExceptionally(new StoreException(Err.UNAVAILABLE, "the membership change was not committed within "
                            + options.requestTimeoutMs() + " ms; its outcome is unknown"));
                }
            }));
            handle(core.propose(List.of(Proposal.newBuilder().setId(pid).setConfig(change).build())));
        });
        if (!queued) {
            f.completeExceptionally(closedError());
        }
        return f;
    }

    @Override
    public CompletableFuture<List<MemberInfo>> memberList() {
        return submit(() -> {
            List<MemberInfo> out = new ArrayList<>();
            for (Member m : members.values()) {
                MemberInfo.Builder b = MemberInfo.newBuilder().setId(m.getId()).setPeerAddr(m.getPeerAddr())
                        .setClientAddr(m.getClientAddr()).setHttpAddr(m.getHttpAddr()).setLearner(m.getLearner())
                        .setLeader(core.leader() == m.getId());
                if (m.getClientAddr().isEmpty()) {
                    // Members named by --peers record their own addresses under /ctl/members.
                    FileEntry f = tree.get("/ctl/members/" + m.getId(), 0);
                    if (f.value() != null) {
                        String json = new String(f.value(), java.nio.charset.StandardCharsets.UTF_8);
                        b.setClientAddr(jsonField(json, "client")).setHttpAddr(jsonField(json, "http"));
                    }
                }
                out.add(b.build());
            }
            return out;
        });
    }

    private static String jsonField(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : "";
    }

    @Override
    public CompletableFuture<ApplyResult> changeMembership(io.cairn.proto.Msg.Request.Verb verb, MemberInfo info) {
        Member m = Member.newBuilder().setId(info.getId()).setPeerAddr(info.getPeerAddr())
                .setClientAddr(info.getClientAddr()).setHttpAddr(info.getHttpAddr()).build();
        return switch (verb) {
            case MEMBER_ADD -> addLearner(m);
            case MEMBER_PROMOTE -> promote(info.getId());
            case MEMBER_REMOVE -> remove(info.getId());
            default -> CompletableFuture.failedFuture(new StoreException(Err.INVALID, verb + " is not a membership change"));
        };
    }

    /** How far this replica has applied, and how far it knows the log chosen. */
    public CompletableFuture<long[]> progress() {
        return submit(() -> new long[] {applied, core.knownCommit(), members.containsKey(id) ? 1 : 0,
                members.containsKey(id) && members.get(id).getLearner() ? 1 : 0});
    }

    /** Proposes a command from the node itself (membership records under /ctl). */
    public CompletableFuture<ApplyResult> writeSystem(Command command) {
        return write(command.toBuilder().setSystem(true).build());
    }

    // ---- the driver contract ----------------------------------------------------------------

    private void handle(Ready r) {
        gate.handle(r);
    }

    private void release() {
        gate.release();
    }

    /** How this member carries out a Ready: its log thread, its peers, its tree. */
    private final class MemberEffects implements ReadyGate.Effects {
        @Override
        public void persistSnapshot(Ready.InstallSnapshot s) {
            saveInstalledSnapshot(s);
        }

        @Override
        public long append(List<WalRecord> records) {
            return storage.append(records);
        }

        @Override
        public void installSnapshot(Ready.InstallSnapshot s) {
            Replica.this.installSnapshot(s);
        }

        @Override
        public void send(PeerMessage m) {
            network.accept(m);
        }

        @Override
        public void apply(SlotEntry e) {
            Replica.this.apply(e);
        }

        @Override
        public void readReady(long readId, long index) {
            Consumer<Long> k = readIndexWaiters.remove(readId);
            if (k != null) {
                k.accept(index);
            }
        }

        @Override
        public void readFailed(long readId) {
            expireRead(readId);
        }

        @Override
        public void rejected(long pid) {
            sentVia.remove(pid);
            CompletableFuture<ApplyResult> w = writes.remove(pid);
            if (w != null) {
                w.completeExceptionally(new StoreException(Err.UNAVAILABLE,
                        "no leader accepted the write (an election may be under way); it was not applied, retry"));
            }
        }

        @Override
        public void snapshotNeeded(long to) {
            SnapshotFile snap = snapshotFile();
            log.info("member {}: sending a snapshot at slot {} (rev {}) to member {}", id, applied, tree.rev(), to);
            PaxosConfig atSlot = paxosConfig();
            network.accept(core.snapshotMessage(to, applied, snap.toByteArray(), atSlot.voters(), atSlot.learners()));
        }

        @Override
        public void released() {
            serveReads();
            noticeLeader();
        }
    }

    private void noticeLeader() {
        long l = core.leader();
        leader = l;
        caughtUp = applied >= core.chosenUpTo();
        if (l != lastLoggedLeader) {
            lastLoggedLeader = l;
            if (l == 0) {
                log.info("member {}: no leader (ballot {}, slot {})", id, core.promised(), applied);
            } else {
                log.info("member {}: leader is member {} (ballot {}, slot {}, rev {})", id, l, core.promised(), applied, tree.rev());
            }
            failRequestsSentThroughOldLeaders(l);
            if (onLeaderChange != null) {
                onLeaderChange.run();
            }
        }
    }

    /**
     * Requests handed to a leader that is no longer leader will never be answered by it. Reads
     * fail at once (they can be retried); writes fail as "outcome unknown", since the old leader
     * may have put them in a slot its successor then finishes. Losing sight of the leader is not
     * enough: a follower starved of CPU misses heartbeats while the leader carries on and commits
     * what it was sent (the benchmark showed such blips failing writes that then succeeded), so
     * they wait for another leader to be known, or for their timeout.
     */
    private void failRequestsSentThroughOldLeaders(long newLeader) {
        if (newLeader == 0) {
            return;
        }
        Iterator<Map.Entry<Long, Long>> it = sentVia.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Long> e = it.next();
            if (e.getValue() == newLeader || (e.getValue() == id && newLeader == id)) {
                continue;
            }
            it.remove();
            long key = e.getKey();
            CompletableFuture<ApplyResult> w = writes.get(key);
            if (w != null && e.getValue() != id) {
                writes.remove(key);
                w.completeExceptionally(new StoreException(Err.UNAVAILABLE,
                        "leader " + e.getValue() + " was lost before the write was committed; its outcome is unknown"));
                continue;
            }
            Runnable readFail = readFailures.get(key);
            if (readFail != null) {
                expireRead(key);
            }
        }
    }

    private void apply(SlotEntry e) {
        if (e.getSlot() != applied + 1) {
            throw new IllegalStateException("member " + id + ": asked to apply slot " + e.getSlot() + " after " + applied);
        }
        applied = e.getSlot();
        observer.applying(e);
        for (Proposal p : e.getValue().getProposalsList()) {
            if (p.hasConfig()) {
                applyMembership(p);
                continue;
            }
            if (!p.hasCommand()) {
                continue;
            }
            ApplyResult result = applier.apply(tree, p.getCommand());
            observer.applied(applied, p, result);
            hub.publish(result.events());
            CompletableFuture<ApplyResult> w = writes.remove(p.getId());
            if (w != null) {
                sentVia.remove(p.getId());
                metrics.writes.labelValues(result.ok() ? "ok" : "refused").inc();
                w.complete(result);
            }
        }
        observer.appliedSlot(applied, tree.rev());
        entriesSinceSnapshot += Math.max(1, e.getValue().getProposalsCount());
        if (!recovering && entriesSinceSnapshot >= options.snapshotEvery()) {
            takeSnapshot();
        }
    }

    /**
     * A committed membership change: the core has already changed its voters; here the member
     * table, the peer addresses and /ctl/members follow, the same on every replica.
     */
    private void applyMembership(Proposal p) {
        ConfigChange c = p.getConfig();
        Member m = c.getMember();
        Member now = switch (c.getKind()) {
            case ADD_LEARNER -> m.toBuilder().setLearner(true).build();
            case PROMOTE -> members.containsKey(m.getId()) ? members.get(m.getId()).toBuilder().setLearner(false).build() : null;
            case REMOVE -> null;
        };
        Txn.Builder t = Txn.newBuilder();
        if (now == null) {
            members.remove(m.getId());
            if (tree.get("/ctl/members/" + m.getId(), 0).rev() > 0) {
                t.addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath("/ctl/members/" + m.getId()));
            }
        } else {
            members.put(now.getId(), now);
            t.addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/ctl/members/" + now.getId())
                    .setValue(ByteString.copyFromUtf8(memberJson(now))));
            peerAddresses.accept(now.getId(), now.getPeerAddr());
        }
        ApplyResult result = applier.apply(tree, Command.newBuilder().setSystem(true).setTxn(t).build());
        observer.applied(applied, p, result);
        hub.publish(result.events());
        log.info("member {}: membership change {} of member {} applied at slot {} (voters {}, learners {})", id, c.getKind(),
                m.getId(), applied, core.voters(), core.learners());
        CompletableFuture<ApplyResult> w = writes.remove(p.getId());
        if (w != null) {
            sentVia.remove(p.getId());
            w.complete(result);
        }
    }

    /** The JSON a member is recorded with under /ctl/members. */
    public static String memberJson(Member m) {
        return String.format("{\"id\":%d,\"peer\":\"%s\",\"client\":\"%s\",\"http\":\"%s\",\"role\":\"%s\"}",
                m.getId(), m.getPeerAddr(), m.getClientAddr(), m.getHttpAddr(), m.getLearner() ? "learner" : "voter");
    }

    private SnapshotFile snapshotFile() {
        return SnapshotFile.newBuilder().setSlot(applied).setTree(tree.snapshot(0)).addAllMembers(members.values()).build();
    }

    /**
     * Captures the state on the loop (lists and references, see {@link VersionedTree#capture}),
     * then encodes, writes and syncs it on the snapshot thread: a snapshot of a large history
     * takes long enough to write, and to encode, that doing either here stalled the loop (found by
     * the benchmark). The log is cut only once the snapshot is durable.
     */
    private void takeSnapshot() {
        if (snapshotSaving) {
            return;
        }
        long began = nowMs();
        VersionedTree.Capture capture = tree.capture(0);
        List<Member> memberList = List.copyOf(members.values());
        long copyMs = nowMs() - began;
        long slot = applied;
        long rev = tree.rev();
        int files = tree.fileCount();
        snapshotSaving = true;
        entriesSinceSnapshot = 0;
        long[] writing = new long[1];
        storage.saveSnapshot(() -> {
            writing[0] = nowMs();
            return SnapshotFile.newBuilder().setSlot(slot).setTree(capture.build()).addAllMembers(memberList).build();
        }, failure -> {
            long writeMs = nowMs() - writing[0];
            execute(() -> snapshotSaved(slot, rev, files, copyMs, writeMs, failure));
        });
    }

    private void snapshotSaved(long slot, long rev, int files, long copyMs, long writeMs, IOException failure) {
        snapshotSaving = false;
        if (failure != null) {
            log.warn("member {}: could not save a snapshot at slot {}: {}", id, slot, failure.getMessage());
            return;
        }
        metrics.snapshots.inc();
        handle(core.snapshotTaken(slot));
        storage.replaceLog(core.durableState());
        log.info("member {}: snapshot at slot {} (rev {}, {} files; captured in {} ms, encoded and written in {} ms); log truncated",
                id, slot, rev, files, copyMs, writeMs);
    }

    private SnapshotFile parse(Ready.InstallSnapshot s) {
        try {
            return SnapshotFile.parseFrom(s.data());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("member " + id + ": leader sent an unreadable snapshot", e);
        }
    }

    private void saveInstalledSnapshot(Ready.InstallSnapshot s) {
        try {
            storage.saveInstalledSnapshot(parse(s));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Takes on a snapshot already saved (see {@link #handle}), in order with what came before. */
    private void installSnapshot(Ready.InstallSnapshot s) {
        SnapshotFile snap = parse(s);
        long before = tree.rev();
        tree = VersionedTree.restore(snap.getTree(), storeConfig);
        hub.restored(tree, before);
        applied = s.slot();
        observer.rebuilt(applied, tree.rev());
        entriesSinceSnapshot = 0;
        if (snap.getMembersCount() > 0) {
            // The member table as of the snapshot's slot; the core took on its voters and
            // learners itself when the snapshot reached it (see PaxosCore.onSnapshot).
            members.clear();
            snap.getMembersList().forEach(m -> members.put(m.getId(), m));
            members.values().forEach(m -> peerAddresses.accept(m.getId(), m.getPeerAddr()));
        }
        storage.replaceLog(core.durableState());
        log.info("member {}: installed a snapshot at slot {} (rev {}) from the leader", id, applied, tree.rev());
    }

    private void serveReads() {
        Iterator<WaitingRead> it = waitingApply.iterator();
        while (it.hasNext()) {
            WaitingRead w = it.next();
            if (applied >= w.index()) {
                it.remove();
                w.serve().run();
            }
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------

    private StoreException closedError() {
        return new StoreException(Err.UNAVAILABLE, "member " + id + " is shutting down");
    }

    private <T> CompletableFuture<T> submit(Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        boolean queued = execute(() -> {
            try {
                f.complete(task.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        if (!queued) {
            f.completeExceptionally(closedError());
        }
        return f;
    }

    private boolean execute(Runnable task) {
        if (closed) {
            return false;
        }
        try {
            loop.execute(guarded(task));
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** A task for the loop: skipped once closed; an unexpected failure is logged, not lost with the task. */
    private Runnable guarded(Runnable task) {
        return () -> {
            if (closed) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("member {}: unexpected failure on the node loop", id, e);
                observer.unexpected(e);
            }
        };
    }

    /** The tree, for a caller already on the loop (the simulator, whose one thread is every replica's loop). */
    public VersionedTree treeOnLoop() {
        return tree;
    }

    /** The slot applied, for a caller already on the loop. */
    public long appliedOnLoop() {
        return applied;
    }

    /** Whether this replica leads, for a caller already on the loop. */
    public boolean isLeaderOnLoop() {
        return core.isLeader();
    }

    /** The ballot this replica promised, for a caller already on the loop. */
    public BallotNum ballotOnLoop() {
        return core.promised();
    }

    /** The membership as of the applied slot, for a caller already on the loop. */
    public List<Member> membersOnLoop() {
        return List.copyOf(members.values());
    }

    /** Reads a file on the loop, serializably (for the node's own bookkeeping). */
    public CompletableFuture<FileEntry> localGet(String path) {
        return submit(() -> tree.get(path, 0));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (ticker != null) {
            ticker.cancel();
        }
        if (sessionTimer != null) {
            sessionTimer.cancel();
        }
        CompletableFuture<Void> drained = new CompletableFuture<>();
        try {
            loop.execute(() -> drained.complete(null));
            drained.get(2, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // closing anyway
        }
        // The loop is the member's event loop, shut down by its owner once the sockets are closed;
        // a task of this replica still queued on it finds it closed and does nothing.
        closed = true;
        storage.close();
    }
}
