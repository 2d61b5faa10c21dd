package io.cairn.node.replica;

import io.cairn.net.Causes;
import io.cairn.net.WriteTrace;
import io.cairn.node.paxos.BallotNum;
import io.cairn.node.paxos.PaxosConfig;
import io.cairn.node.paxos.PaxosCore;
import io.cairn.node.paxos.Ready;
import io.cairn.node.paxos.ReadyGate;
import io.cairn.node.schema.Schemas;
import io.cairn.node.server.KvService;
import io.cairn.node.server.WatchHandle;
import io.cairn.node.server.WatchSink;
import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.Err;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Glob;
import io.cairn.node.store.Paths;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Peer.ConfigChange;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.Peer.WalRecord;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
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
    /**
     * How the refusal of a write that never applied, and never will, ends: a client may send it
     * again. The simulator checks every answer that says so (none may apply).
     */
    public static final String NOT_APPLIED = "it was not applied, retry";

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

        /** Applies {@code command} from a slot the leader proposed at {@code proposedMs} (wall clock; 0: unknown). */
        ApplyResult apply(VersionedTree tree, Command command, long proposedMs);
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
            return new Environment(new FileStorage(id, dir, loop), loop, new LoopClock(loop), new Random(new SecureRandom().nextLong()),
                    ReplicaObserver.NONE, Applier.TREE);
        }
    }

    private final long id;
    private final Options options;
    private final StoreConfig storeConfig;
    private final Executor loop;
    private final ReplicaStorage storage;
    private final ReplicaClock clock;
    private final ReplicaObserver observer;
    private final Applier applier;
    private final WatchHub hub = new WatchHub();
    /** A task to feed the watchers what {@link #apply} left them is queued on the loop. */
    private boolean publishQueued;
    private final NodeMetrics metrics = new NodeMetrics();
    private final Random ids;
    private Consumer<PeerMessage> network = m -> { };
    private final SnapshotStreams snapshotStreams;
    private PaxosCore core;
    private VersionedTree tree;
    private long applied;
    private final Snapshotter snapshotter;
    private long durableSeq;
    private boolean recovering;
    private final ReadyGate gate;
    private final PendingRequests pending;
    /** Writes taken on the loop and not yet handed to the core (see {@link #proposeQueued}). */
    private List<Proposal> toPropose = new ArrayList<>();
    private volatile long leader;
    private volatile boolean caughtUp;
    private volatile boolean closed;
    private volatile IOException walFailure;
    private ReplicaClock.Timer ticker;
    private long lastLoggedLeader = -1;
    /** The leader's client address while another member leads (clients may send it their writes), or null. */
    private volatile String leaderClientAddr;
    /** Whose address {@link #leaderClientAddr} is, and the revision of that member's record it was read at. */
    private long leaderAddrOf;
    private String leaderRecordPath = "";
    private long leaderRecordRev = -1;
    private final Runnable onLeaderChange;
    /** The membership as of the applied slot: who votes, who learns, and where they listen. */
    private final MemberTable members;
    /** The slot of the last membership change applied. */
    private long membershipSlot;
    /**
     * Completed once a slot after {@link #membershipSlot} is applied. A membership change is
     * answered only then, and the next one is checked only then: the core chooses that slot only
     * once a majority of the new configuration has recorded the change (see PaxosCore.checkChosen),
     * so whoever acts on the answer (stops a removed member) leaves a cluster that can still elect.
     */
    private CompletableFuture<Void> membershipSettled = CompletableFuture.completedFuture(null);

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
        this.members = new MemberTable(id, initialMembers);
        this.sessionExpiry = new SessionExpiry(id, new SessionExpiry.Effects() {
            @Override
            public CompletableFuture<?> expire(long session) {
                return write(Command.newBuilder().setSessionOp(io.cairn.proto.State.SessionOp.newBuilder()
                        .setKind(io.cairn.proto.State.SessionOp.Kind.EXPIRE).setId(session)).build());
            }

            @Override
            public void forward(long leader, java.util.Collection<Long> sessions) {
                network.accept(PeerMessage.newBuilder().setFrom(id).setTo(leader)
                        .setKeepalive(io.cairn.proto.Peer.Keepalive.newBuilder().addAllSessions(sessions)).build());
            }

            @Override
            public void onLoop(Runnable task) {
                execute(task);
            }
        });
        this.pending = new PendingRequests(id, options.requestTimeoutMs());
        this.options = options;
        this.storeConfig = storeConfig;
        this.onLeaderChange = onLeaderChange;
        this.storage = env.storage();
        this.loop = env.loop();
        this.clock = env.clock();
        this.observer = env.observer();
        this.applier = env.applier();
        this.ids = env.random();
        this.snapshotter = new Snapshotter(id, options.snapshotEvery(), storage, clock, this::execute, this::snapshotSaved,
                metrics.snapshots, metrics.snapshotSeconds);
        this.snapshotStreams = new SnapshotStreams(id, 2L * options.tickMs() * options.electionTicks(), new SnapshotStreams.Send() {
            @Override
            public void piece(long to, io.cairn.proto.Peer.InstallSnapshot piece) {
                network.accept(PeerMessage.newBuilder().setFrom(id).setTo(to).setVersion(PaxosCore.VERSION)
                        .setBallot(core.promised().toProto()).setSnapshot(piece).build());
            }

            @Override
            public void ack(long to, io.cairn.proto.Peer.SnapshotAck ack) {
                network.accept(PeerMessage.newBuilder().setFrom(id).setTo(to).setVersion(PaxosCore.VERSION)
                        .setSnapshotAck(ack).build());
            }
        });
        recover();
    }

    private void recover() throws IOException {
        ReplicaStorage.Recovered disk = storage.recover();
        SnapshotFile snap = disk.snapshot();
        if (snap != null && snap.getMembersCount() > 0) {
            members.replaceWith(snap.getMembersList());
            noticeRemoval();
        }
        PaxosConfig paxos = members.paxosConfig(options);
        long snapshotSlot = snap == null ? 0 : snap.getSlot();
        tree = snap == null ? new VersionedTree(storeConfig) : VersionedTree.restore(snap.getTree(), storeConfig);
        policy = tree.policy();
        schemas = Schemas.of(tree);
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

    /**
     * Gives this member's entry the peer address it now listens on, when the membership has none:
     * a member started alone without --peer-addr records none, and gets one when restarted with
     * it. Alone, nobody else holds the membership, so filling it in here changes it everywhere;
     * a member that joins later learns it from this one. Called before {@link #start}; true when
     * it filled it in.
     */
    public boolean fillOwnPeerAddress(String addr) {
        return members.fillOwnPeerAddress(addr);
    }

    /** Where peer addresses go when the membership changes (the peer transport). */
    public void onPeerAddress(java.util.function.BiConsumer<Long, String> listener) {
        members.onPeerAddress(listener);
    }

    /** Connects the replica to the peer network and starts its clock. */
    public void start(Consumer<PeerMessage> network) {
        this.network = network;
        storage.start(new ReplicaStorage.Listener() {
            @Override
            public void durable(long position, int records) {
                durable(position, records, -1);
            }

            @Override
            public void durable(long position, int records, long syncNanos) {
                if (syncNanos >= 0) {
                    metrics.walSyncSeconds.observe(syncNanos / 1e9);
                }
                execute(() -> {
                    WriteTrace.mark(WriteTrace.Stage.DURABLE);
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
            core.observeWallClock(clock.wallMs());
            handle(core.tick());
            pending.expire(nowMs());
            snapshotStreams.expire(nowMs());
        }));
        sessionTimer = clock.every(50, guarded(this::sessionTick));
    }

    /** A message from another member. Any thread. */
    public void receive(PeerMessage m) {
        if (m.hasAccept()) {
            WriteTrace.mark(WriteTrace.Stage.ACCEPT_READ);
        } else if (m.hasAccepted()) {
            WriteTrace.mark(WriteTrace.Stage.ACCEPTED_READ);
        }
        if (m.hasSnapshotAck()) {
            execute(() -> snapshotStreams.acked(m.getFrom(), m.getSnapshotAck(), nowMs()));
            return;
        }
        if (m.hasSnapshot() && m.getSnapshot().hasTotal()) {
            // A piece: gathered here; the core is handed the whole snapshot once it is in.
            execute(() -> {
                var whole = m.getTo() == id ? snapshotStreams.gather(m.getFrom(), m.getSnapshot(), nowMs()) : null;
                if (whole != null) {
                    core.observeWallClock(clock.wallMs());
                    handle(core.step(m.toBuilder().setSnapshot(whole).build()));
                }
            });
            return;
        }
        if (m.hasKeepalive()) {
            execute(() -> {
                long now = nowMs();
                m.getKeepalive().getSessionsList().forEach(sid -> sessionExpiry.forwarded(sid, now));
            });
            return;
        }
        execute(() -> {
            core.observeWallClock(clock.wallMs());
            handle(core.step(m));
        });
    }

    // ---- sessions (timed by SessionExpiry) ---------------------------------------------------

    private final SessionExpiry sessionExpiry;
    private ReplicaClock.Timer sessionTimer;

    private long nowMs() {
        return clock.nowMs();
    }

    private void sessionTick() {
        sessionExpiry.tick(core.isLeader(), core.leader(), tree, nowMs());
    }

    @Override
    public CompletableFuture<Long> openSession(long ttlMs) {
        return openSession(ttlMs, null);
    }

    @Override
    public CompletableFuture<Long> openSession(long ttlMs, io.cairn.proto.State.Identity owner) {
        Command.Builder c = Command.newBuilder().setSessionOp(io.cairn.proto.State.SessionOp.newBuilder()
                .setKind(io.cairn.proto.State.SessionOp.Kind.OPEN).setTtlMs(ttlMs));
        if (owner != null) {
            c.setAuthor(owner);
        }
        return write(c.build()).thenApply(r -> {
                    if (!r.ok()) {
                        throw r.error();
                    }
                    return r.session();
                });
    }

    @Override
    public CompletableFuture<Void> keepalive(long session) {
        return submit(() -> {
            if (removed) {
                throw removedError();
            }
            if (tree.sessionEnded(session)) {
                throw new StoreException(Err.SESSION_EXPIRED, "session " + session + " has ended; its ephemeral files are gone");
            }
            sessionExpiry.keepalive(session, core.isLeader(), nowMs());
            return null;
        });
    }

    @Override
    public CompletableFuture<ApplyResult> closeSession(long session) {
        return closeSession(session, null, false);
    }

    @Override
    public CompletableFuture<ApplyResult> closeSession(long session, io.cairn.proto.State.Identity author, boolean authorize) {
        Command.Builder c = Command.newBuilder().setSessionOp(io.cairn.proto.State.SessionOp.newBuilder()
                .setKind(io.cairn.proto.State.SessionOp.Kind.CLOSE).setId(session));
        if (author != null) {
            c.setAuthor(author).setAuthorize(authorize);
        }
        return write(c.build());
    }

    /** The policy as of the last command applied (see {@link VersionedTree#policy}). */
    @Override
    public io.cairn.node.acl.Policy policy() {
        return policy;
    }

    private volatile io.cairn.node.acl.Policy policy = io.cairn.node.acl.Policy.EMPTY;

    /** The schemas as of the last command applied, which a client's write is checked against before it is proposed. */
    private volatile Schemas schemas = Schemas.NONE;

    @Override
    public CompletableFuture<List<io.cairn.proto.Msg.SessionInfo>> sessionList() {
        return submit(() -> {
            long now = nowMs();
            sessionExpiry.leading(core.isLeader());
            List<io.cairn.proto.Msg.SessionInfo> out = new ArrayList<>();
            for (VersionedTree.Session s : tree.sessions()) {
                long remaining = sessionExpiry.remaining(s.id(), s.ttlMs(), now);
                out.add(io.cairn.proto.Msg.SessionInfo.newBuilder().setId(s.id()).setTtlMs(s.ttlMs())
                        .addAllFiles(s.files()).setRemainingMs(remaining).setOwner(s.owner()).build());
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

    @Override
    public String leaderClientAddress() {
        return leaderClientAddr;
    }

    /**
     * Keeps {@link #leaderClientAddress} true: the leader's client address while another member
     * leads, looked up again when the leader changes or its record under /ctl/members does.
     */
    private void noticeLeaderAddress(long l) {
        if (l == 0 || l == id) {
            leaderClientAddr = null;
            leaderAddrOf = l;
            return;
        }
        if (l != leaderAddrOf) {
            leaderAddrOf = l;
            leaderRecordPath = "/ctl/members/" + l;
            leaderRecordRev = -1;
        }
        long rev = tree.get(leaderRecordPath, 0).rev();
        if (rev != leaderRecordRev) {
            leaderRecordRev = rev;
            String addr = members.clientAddr(tree, l);
            leaderClientAddr = addr.isEmpty() || io.cairn.node.Addresses.isWildcard(addr) ? null : addr;
        }
    }

    /** The lowest protocol version among the members, as this replica last learnt it (0: not yet known). */
    public int clusterVersion() {
        return clusterVersion;
    }

    /** Ready for clients: a leader is known and this replica has applied what it knows chosen. */
    public boolean isReady() {
        return leader != 0 && caughtUp && walFailure == null && !removed;
    }

    /**
     * This member is not in the membership it has applied: it was removed. The leader sends it
     * nothing more, so a request it took could never finish here; it refuses them, so that
     * clients go to another member (the simulator found clients waiting on a removed member
     * whose removal the operator had not heard of, seed 1028500).
     */
    private volatile boolean removed;
    /** A snapshot without this member was installed while it was behind: see {@link #installSnapshot}. */
    private boolean removalUndecided;

    private StoreException removedError() {
        return new StoreException(Err.UNAVAILABLE, "member " + id + " was removed from the cluster; ask another member");
    }

    /** After the membership changed: when this member left it, what it was serving ends. */
    private void noticeRemoval() {
        boolean now = !members.contains(id);
        if (now && !removed && !recovering) {
            log.info("member {}: removed from the cluster at slot {}; refusing clients from now on", id, applied);
            pending.failAll("member " + id + " was removed from the cluster");
            hub.endAll(removedError());
        }
        removed = now;
    }

    /** What the client connections report their requests' latency and their own number to. */
    @Override
    public io.cairn.node.server.RequestObserver requestObserver() {
        return metrics;
    }

    /** Prometheus text for /metrics, refreshed from the loop's state. */
    public CompletableFuture<String> metricsText() {
        return submit(() -> {
            metrics.appliedSlot.set(applied);
            metrics.revision.set(tree.rev());
            metrics.leader.set(core.leader());
            metrics.isLeader.set(core.isLeader() ? 1 : 0);
            metrics.sessions.set(tree.sessionCount());
            metrics.ephemeralFiles.set(tree.ephemeralCount());
            metrics.historyWindow.set(tree.rev() - tree.oldestRev());
            metrics.watches.set(hub.size());
            metrics.commitLag.set(Math.max(0, core.knownCommit() - applied));
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
            s.put("version", PaxosCore.VERSION);
            s.put("cluster_version", core.clusterVersion());
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
            return submit(() -> {
                if (removed) {
                    throw removedError();
                }
                return read.apply(tree);
            });
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        boolean queued = execute(() -> {
            if (removed) {
                f.completeExceptionally(removedError());
                return;
            }
            long rid = ids.nextLong();
            pending.addRead(rid, core.leader(), nowMs(), () -> f.completeExceptionally(new StoreException(Err.UNAVAILABLE,
                    "no leader to confirm a linearizable read; retry, or read with serializable consistency")), index -> {
                        pending.whenApplied(index, () -> {
                            if (!pending.finishRead(rid)) {
                                return;
                            }
                            try {
                                f.complete(read.apply(tree));
                            } catch (RuntimeException e) {
                                f.completeExceptionally(e);
                            }
                        });
                        pending.serveReads(applied);
                    });
            handle(core.readIndex(rid));
        });
        if (!queued) {
            f.completeExceptionally(closedError());
        }
        return f;
    }

    /** The lowest protocol version among the members, as this member last learnt it (see {@link PaxosCore#clusterVersion}). */
    private volatile int clusterVersion;

    /**
     * UNAVAILABLE for a command that needs a protocol version not every member has: a member of
     * an older version would apply it otherwise than the rest (a PREFIX_REV compare reads as a
     * file's REV to it), so it is not proposed at all until the rolling upgrade is done.
     */
    private void checkVersion(Command command) {
        if (clusterVersion >= 2) {
            return;
        }
        String needs = null;
        if (command.getTxn().getCompareList().stream().anyMatch(c -> c.getTarget() == io.cairn.proto.State.Compare.Target.PREFIX_REV)) {
            needs = "a PREFIX_REV compare";
        }
        // The policy's rules and the schemas live under /ctl, which older members hold read-only.
        for (List<Op> branch : List.of(command.getTxn().getSuccessList(), command.getTxn().getFailureList())) {
            for (Op op : branch) {
                if (op.getKind() != Op.Kind.GET && (Paths.isUnder(op.getPath(), VersionedTree.ACL)
                        || Paths.isUnder(op.getPath(), VersionedTree.SCHEMA))) {
                    needs = "a write under " + (Paths.isUnder(op.getPath(), VersionedTree.ACL) ? VersionedTree.ACL : VersionedTree.SCHEMA);
                }
            }
        }
        if (needs != null) {
            throw new StoreException(Err.UNAVAILABLE, needs + " needs every member at protocol version 2 or later"
                    + (clusterVersion == 0 ? " (not yet known: no leader has heard from every member)" : " (one is at "
                    + clusterVersion + ": finish upgrading the members first)") + "; nothing was written");
        }
    }

    /** Every path a client's command would create or change is canonical (see {@link Paths#checkWritable}). */
    private static void checkWritable(Command command) {
        for (List<io.cairn.proto.State.Op> branch : List.of(command.getTxn().getSuccessList(), command.getTxn().getFailureList())) {
            for (io.cairn.proto.State.Op op : branch) {
                if (op.getKind() == io.cairn.proto.State.Op.Kind.SET) {
                    Paths.checkWritable(op.getPath());
                }
            }
        }
    }

    @Override
    public CompletableFuture<ApplyResult> write(Command command) {
        CompletableFuture<ApplyResult> f = new CompletableFuture<>();
        try {
            checkWritable(command);
            checkVersion(command);
            schemas.check(command);
        } catch (StoreException bad) {
            f.completeExceptionally(bad);
            return f;
        }
        boolean queued = execute(() -> {
            if (walFailure != null) {
                f.completeExceptionally(new StoreException(Err.UNAVAILABLE, "member " + id + " cannot write its log: " + walFailure.getMessage()));
                return;
            }
            if (removed) {
                f.completeExceptionally(removedError());
                return;
            }
            long pid = ids.nextLong();
            long proposed = clock.nowNanos();
            f.thenRun(() -> metrics.commitSeconds.observe((clock.nowNanos() - proposed) / 1e9));
            pending.addWrite(pid, f, core.leader(), nowMs());
            observer.proposed(pid, f);
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
        WriteTrace.mark(WriteTrace.Stage.PROPOSED);
        List<Proposal> batch = toPropose;
        toPropose = new ArrayList<>();
        core.observeWallClock(clock.wallMs());
        handle(core.propose(batch));
    }

    @Override
    public WatchHandle watch(Glob glob, long fromRev, boolean once, WatchSink sink) {
        WatchHub.Watcher[] self = new WatchHub.Watcher[1];
        WatchHub.Watcher w = hub.new Watcher(glob, once, sink, () -> execute(() -> self[0].cancelOnThread()));
        self[0] = w;
        if (!execute(() -> {
            if (removed) {
                sink.end(removedError());
                return;
            }
            hub.register(w, tree, fromRev);
        })) {
            sink.end(closedError());
        }
        return w;
    }

    // ---- membership -------------------------------------------------------------------------

    /** The members as this replica knows them, with which one leads. */
    public CompletableFuture<List<Member>> members() {
        return submit(members::list);
    }

    /** Adds a member as a learner: it receives the log but does not vote until promoted. */
    public CompletableFuture<ApplyResult> addLearner(Member m) {
        return whenSettled(() -> {
            members.checkAdd(m);
            return m;
        }).thenCompose(x -> propose(ConfigChange.newBuilder().setKind(ConfigChange.Kind.ADD_LEARNER)
                .setMember(m.toBuilder().setLearner(true)).build()));
    }

    /** Makes a learner a voter. */
    public CompletableFuture<ApplyResult> promote(long member) {
        return whenSettled(() -> members.checkPromote(member))
                .thenCompose(m -> propose(ConfigChange.newBuilder().setKind(ConfigChange.Kind.PROMOTE).setMember(m).build()));
    }

    /**
     * Runs a membership check on the loop once the last change has settled (see
     * {@link #membershipSettled}): an answer such as "no member 4" then means what a caller acts on.
     */
    private <T> CompletableFuture<T> whenSettled(Supplier<T> check) {
        CompletableFuture<T> f = new CompletableFuture<>();
        onLoop(f, () -> {
            if (!membershipSettled.isDone()) {
                clock.after(options.requestTimeoutMs(), guarded(() -> f.completeExceptionally(new StoreException(Err.UNAVAILABLE,
                        "the membership change at slot " + membershipSlot + " has not settled yet; try again"))));
            }
            membershipSettled.whenComplete((x, err) -> completeWith(f, check));
        });
        return f;
    }

    /** Removes a member; when it is the leader, it hands leadership to another voter first. */
    public CompletableFuture<ApplyResult> remove(long member) {
        return whenSettled(() -> members.checkRemove(member)).thenCompose(m -> {
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
            Throwable c = Causes.unwrapped(e);
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
            pending.addChange(pid, f, core.leader());
            observer.proposed(pid, f);
            clock.after(options.requestTimeoutMs(), guarded(() -> {
                CompletableFuture<ApplyResult> w = pending.take(pid);
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
        return submit(() -> members.infos(tree, core.leader()));
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
        return submit(() -> new long[] {applied, core.knownCommit(), members.contains(id) ? 1 : 0,
                members.isLearner(id) ? 1 : 0});
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
            // A loop may write and sync an idle log itself when no more than one of its clients'
            // requests waits (the one the records may well be for): nothing else waits on that
            // loop meanwhile, and the hand-over to the log thread and back costs two thread
            // wake-ups, on the leader as on a follower. A loop with several requests under way
            // goes on reading while its log thread syncs: with 16 clients spread over the three
            // members, writes fell by a fifth when every loop synced whatever waited.
            return storage.append(records, pending.inFlight() <= 1);
        }

        @Override
        public void installSnapshot(Ready.InstallSnapshot s) {
            Replica.this.installSnapshot(s);
        }

        @Override
        public void send(PeerMessage m) {
            if (m.hasAccept()) {
                WriteTrace.mark(WriteTrace.Stage.ACCEPT_SENT);
            } else if (m.hasAccepted()) {
                WriteTrace.mark(WriteTrace.Stage.ACCEPTED_SENT);
            }
            network.accept(m);
        }

        @Override
        public void apply(SlotEntry e) {
            Replica.this.apply(e);
        }

        @Override
        public void readReady(long readId, long index) {
            pending.readIndexReady(readId, index);
        }

        @Override
        public void readFailed(long readId) {
            pending.failRead(readId);
        }

        @Override
        public void rejected(long pid) {
            pending.rejected(pid);
        }

        @Override
        public void snapshotNeeded(long to) {
            long now = nowMs();
            if (core.versionOf(to) >= 3) {
                if (snapshotStreams.sending(to, now)) {
                    return; // asked again while the snapshot is on its way
                }
                ReplicaStorage.Saved saved;
                try {
                    saved = storage.latestSnapshot();
                } catch (IOException e) {
                    log.warn("member {}: could not read its last snapshot to send member {} ({}); encoding one", id, to,
                            e.getMessage());
                    saved = null;
                }
                if (saved != null && saved.slot() >= core.snapshotSlot()) {
                    snapshotStreams.start(to, saved.slot(), saved.bytes(), now);
                    return;
                }
            }
            // A member of an older version, or no saved snapshot to send: one encoded now, whole.
            SnapshotFile snap = Snapshotter.of(applied, tree, members.list());
            log.info("member {}: sending a snapshot at slot {} (rev {}) to member {}", id, applied, tree.rev(), to);
            PaxosConfig atSlot = members.paxosConfig(options);
            network.accept(core.snapshotMessage(to, applied, snap.toByteArray(), atSlot.voters(), atSlot.learners()));
        }

        @Override
        public void released() {
            if (hub.hasDeferred() && !publishQueued) {
                // Queued behind the answers and commit notices this round sent (each a write the
                // loop runs in order), so that they leave before the watchers' events are built.
                publishQueued = true;
                execute(() -> {
                    publishQueued = false;
                    hub.publishDeferred();
                });
            }
            pending.serveReads(applied);
            if (removalUndecided && applied >= core.knownCommit()) {
                removalUndecided = false;
                noticeRemoval();
            }
            noticeLeader();
        }
    }

    private void noticeLeader() {
        long l = core.leader();
        leader = l;
        noticeLeaderAddress(l);
        clusterVersion = core.clusterVersion();
        caughtUp = applied >= core.chosenUpTo();
        if (l != id) {
            snapshotStreams.stopSending();
        }
        if (l != lastLoggedLeader) {
            lastLoggedLeader = l;
            if (l == 0) {
                log.info("member {}: no leader (ballot {}, slot {}): {}", id, core.promised(), applied, core.leaderCause());
            } else {
                log.info("member {}: leader is member {} (ballot {}, slot {}, rev {}): {}", id, l, core.promised(), applied, tree.rev(),
                        core.leaderCause());
            }
            pending.leaderChanged(l);
            if (onLeaderChange != null) {
                onLeaderChange.run();
            }
        }
    }

    private void apply(SlotEntry e) {
        WriteTrace.mark(WriteTrace.Stage.APPLIED);
        if (e.getSlot() != applied + 1) {
            throw new IllegalStateException("member " + id + ": asked to apply slot " + e.getSlot() + " after " + applied);
        }
        applied = e.getSlot();
        if (applied > membershipSlot && !membershipSettled.isDone()) {
            membershipSettled.complete(null);
        }
        observer.applying(e);
        for (Proposal p : e.getValue().getProposalsList()) {
            if (p.hasConfig()) {
                applyMembership(p, e.getValue().getTimeMs());
                continue;
            }
            if (!p.hasCommand()) {
                continue;
            }
            ApplyResult result = applier.apply(tree, p.getCommand(), e.getValue().getTimeMs());
            // Before the watchers hear of it: a change to the policy governs what they may see from
            // this revision on, and not before it: what waits for them is judged by the old one.
            if (tree.policy() != policy) {
                hub.publishDeferred();
                policy = tree.policy();
            }
            if (Schemas.touched(result.events())) {
                schemas = Schemas.of(tree);
            }
            observer.applied(applied, p, result);
            if (!result.events().isEmpty() && hub.size() > 0) {
                metrics.watchDeliverySeconds.observe(Math.max(0, clock.wallMs() - e.getValue().getTimeMs()) / 1e3);
            }
            hub.publishLater(result.events()); // after the answer and the notices: see released()
            CompletableFuture<ApplyResult> w = pending.take(p.getId());
            if (w != null) {
                metrics.writes.labelValues(result.ok() ? "ok" : "refused").inc();
                w.complete(result);
            }
        }
        observer.appliedSlot(applied, tree.rev());
        snapshotter.count(e.getValue().getProposalsCount());
        if (!recovering && snapshotter.due()) {
            snapshotter.take(applied, tree, members.list());
        }
    }

    /**
     * A committed membership change: the core has already changed its voters; here the member
     * table, the peer addresses and /ctl/members follow, the same on every replica.
     */
    private void applyMembership(Proposal p, long proposedMs) {
        ConfigChange c = p.getConfig();
        Txn t = members.apply(c, tree);
        noticeRemoval();
        ApplyResult result = applier.apply(tree, Command.newBuilder().setSystem(true).setTxn(t).build(), proposedMs);
        observer.applied(applied, p, result);
        hub.publishLater(result.events());
        log.info("member {}: membership change {} of member {} applied at slot {} (voters {}, learners {})", id, c.getKind(),
                c.getMember().getId(), applied, core.voters(), core.learners());
        membershipSlot = applied;
        leaderRecordRev = -1; // the member table changed: the leader's address is looked up again
        if (membershipSettled.isDone()) {
            membershipSettled = new CompletableFuture<>();
        }
        CompletableFuture<ApplyResult> w = pending.take(p.getId());
        if (w != null) {
            long slot = applied;
            membershipSettled.whenComplete((x, err) -> w.complete(result));
            clock.after(options.requestTimeoutMs(), guarded(() -> w.completeExceptionally(new StoreException(Err.UNAVAILABLE,
                    "the membership change applied at slot " + slot + " is not yet recorded by a majority of the new"
                            + " membership; ask again to confirm it"))));
        }
    }

    /** The JSON a member is recorded with under /ctl/members. */
    public static String memberJson(Member m) {
        return MemberTable.json(m);
    }

    /** A snapshot of ours is durable: the core may forget what it holds, and the log is cut. */
    private void snapshotSaved(long slot) {
        handle(core.snapshotTaken(slot));
        storage.replaceLog(core.durableState());
    }

    /**
     * The snapshot being installed, parsed once for its save and kept for its install: each
     * parse of a million-key snapshot builds millions of objects (seconds on the loop).
     */
    private Ready.InstallSnapshot parsedInstall;
    private SnapshotFile parsedSnapshot;

    private void saveInstalledSnapshot(Ready.InstallSnapshot s) {
        parsedInstall = s;
        parsedSnapshot = Snapshotter.parse(id, s);
        try {
            storage.saveInstalledSnapshot(parsedSnapshot);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Takes on a snapshot already saved (see {@link #handle}), in order with what came before. */
    private void installSnapshot(Ready.InstallSnapshot s) {
        SnapshotFile snap = parsedInstall == s ? parsedSnapshot : Snapshotter.parse(id, s);
        parsedInstall = null;
        parsedSnapshot = null;
        long before = tree.rev();
        tree = VersionedTree.restore(snap.getTree(), storeConfig);
        policy = tree.policy();
        schemas = Schemas.of(tree);
        hub.restored(tree, before);
        applied = s.slot();
        if (applied > membershipSlot && !membershipSettled.isDone()) {
            membershipSettled.complete(null);
        }
        observer.rebuilt(applied, tree.rev());
        snapshotter.restarted();
        if (snap.getMembersCount() > 0) {
            // The member table as of the snapshot's slot; the core took on its voters and
            // learners itself when the snapshot reached it (see PaxosCore.onSnapshot), unless
            // an older leader sent it without them: then, as before, here.
            members.replaceWith(snap.getMembersList());
            // A member that joined after the snapshot was saved (a leader sends the one it saved
            // last) is not in the membership it records; the slots after it add this member
            // again. Until it has applied what is known committed, it is catching up, not removed.
            removalUndecided = !members.contains(id) && core.knownCommit() > applied;
            if (!removalUndecided) {
                noticeRemoval();
            }
            if (!s.configured()) {
                PaxosConfig pc = members.paxosConfig(options);
                core.adoptMembership(pc.voters(), pc.learners());
            }
        }
        storage.replaceLog(core.durableState());
        log.info("member {}: installed a snapshot at slot {} (rev {}) from the leader", id, applied, tree.rev());
    }

    // ---- plumbing ---------------------------------------------------------------------------

    private StoreException closedError() {
        return new StoreException(Err.UNAVAILABLE, "member " + id + " is shutting down");
    }

    private <T> CompletableFuture<T> submit(Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        onLoop(f, () -> completeWith(f, task));
        return f;
    }

    /** Runs {@code task} on the loop; {@code f} fails at once if the replica is closed. */
    private void onLoop(CompletableFuture<?> f, Runnable task) {
        if (!execute(task)) {
            f.completeExceptionally(closedError());
        }
    }

    private static <T> void completeWith(CompletableFuture<T> f, Supplier<T> task) {
        try {
            f.complete(task.get());
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
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
        return members.list();
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
