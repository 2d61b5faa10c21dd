package io.cairn.node.paxos;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.proto.Peer.Accept;
import io.cairn.proto.Peer.Accepted;
import io.cairn.proto.Peer.CatchUp;
import io.cairn.proto.Peer.Chosen;
import io.cairn.proto.Peer.ConfigChange;
import io.cairn.proto.Peer.Forward;
import io.cairn.proto.Peer.ForwardReject;
import io.cairn.proto.Peer.Heartbeat;
import io.cairn.proto.Peer.HeartbeatAck;
import io.cairn.proto.Peer.InstallSnapshot;
import io.cairn.proto.Peer.Nack;
import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.Prepare;
import io.cairn.proto.Peer.Promise;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.ReadIndexRequest;
import io.cairn.proto.Peer.ReadIndexResponse;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.TimeoutNow;
import io.cairn.proto.Peer.Value;
import io.cairn.proto.Peer.WalRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Multi-Paxos with a stable leader, as a pure state machine (after etcd-io/raft): the driver
 * calls {@link #step}, {@link #tick}, {@link #propose} and {@link #readIndex}, and carries out the
 * {@link Ready} each returns. No threads, clocks, sockets or files; time is ticks and randomness
 * is the {@link Random} passed in.
 *
 * <p>A candidate runs phase 1 once for every slot past what it knows chosen, adopts the value of
 * the highest ballot reported for each (a no-op where none), then runs phase 2 per slot,
 * pipelined ({@code window} slots in flight) and batched ({@code maxBatch} proposals per slot).
 * Followers learn commits from the leader; a follower that lacks a chosen slot's value asks the
 * leader for it (or for a snapshot).
 */
public final class PaxosCore {
    public enum Role { FOLLOWER, CANDIDATE, LEADER }

    /** One slot of the log as this acceptor holds it. */
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
    }

    private record PendingRead(long readId, long from, long index, long seq) {}

    private final PaxosConfig config;
    private final long id;
    private final Random random;
    private final TreeSet<Long> voters;
    private final TreeSet<Long> learners;

    // Durable acceptor state (mirrored in the WAL through Ready.records).
    private BallotNum promised = BallotNum.ZERO;
    private final TreeMap<Long, Slot> log = new TreeMap<>();
    private long snapshotSlot;

    // Volatile state.
    private long chosenUpTo;
    /**
     * The highest commit written in a record. Commit records only spare a restarted node
     * relearning what was chosen (Paxos finds it again either way), so they ride along with
     * records going to disk anyway, or go on the next tick: on a follower, most commits arrive
     * alone, and a record of their own cost an fsync each.
     */
    private long commitRecorded;
    private long knownCommit;
    private Role role = Role.FOLLOWER;
    private long leader;
    private int ticksSinceHeard;
    private int electionDeadline;
    private long maxRoundSeen;
    private int catchUpCooldown;

    // Candidate.
    private boolean preVoting;
    private final Set<Long> preVotes = new HashSet<>();
    private BallotNum myBallot = BallotNum.ZERO;
    private final Map<Long, Promise> promises = new HashMap<>();
    private long prepareFrom;

    // Leader.
    private long nextSlot;
    private long firstSlotOfBallot;
    private final Map<Long, Set<Long>> acks = new HashMap<>();
    private final ArrayDeque<Proposal> queue = new ArrayDeque<>();
    private int heartbeatElapsed;
    private final Map<Long, Integer> lastHeard = new HashMap<>();
    private int leaderTicks;
    private long readSeq;
    /** A heartbeat round for reads is out (reads with seq == readSeq wait for it); later reads join the next one. */
    private boolean readRoundOut;
    private final List<PendingRead> pendingReads = new ArrayList<>();
    private final List<PendingRead> readsAwaitingCommit = new ArrayList<>();
    private final Map<Long, Long> readSeqAcked = new HashMap<>();

    // Follower reads, batched: one request to the leader at a time; the reads that arrived
    // before it left ride on it, later ones wait for the next.
    private long readRequestSeq;
    private long readRequestOut;
    private long readRequestTo;
    private int readRequestAge;
    private final List<Long> readsOnRequest = new ArrayList<>();
    private final List<Long> readsForNextRequest = new ArrayList<>();
    private long configPendingSlot;
    /**
     * The slot of the last membership change this core saw chosen (the snapshot's slot after a
     * restart, as it may hold one). Until a slot after it is chosen, a leader counts the
     * acceptances only of voters that have said they know it chosen (see {@link #checkChosen}).
     */
    private long lastConfigSlot;
    /** Slots this leader assigned a membership change to, not yet chosen. */
    private final TreeSet<Long> configSlots = new TreeSet<>();
    /** A membership change was chosen: its commit is recorded now, not on the next tick. */
    private boolean recordCommitNow;
    /** Whether this leader's accepts may leave before its own records are durable (see maybeWin). */
    private boolean earlyAccepts;
    /** Proposal ids this node has queued as leader, so a duplicated forward is not applied twice. */
    private final java.util.LinkedHashSet<Long> seenProposals = new java.util.LinkedHashSet<>();
    private static final int SEEN_PROPOSALS = 1 << 16;

    private Ready out = new Ready();
    private long transferTarget;
    /** The candidate this acceptor last promised, until it hears from a leader. */
    private long promisedTo;
    private final Map<Long, Long> followerChosen = new HashMap<>();
    private boolean commitAdvanced;

    public PaxosCore(PaxosConfig config, Random random) {
        this.config = config;
        this.id = config.id();
        this.random = random;
        // Request ids start at random: a response to a request sent before a restart must not
        // match one sent after it.
        this.readRequestSeq = random.nextLong() >>> 1;
        this.voters = new TreeSet<>(config.voters());
        this.learners = new TreeSet<>(config.learners());
        resetElectionTimer();
    }

    /**
     * Rebuilds a core from what its WAL and snapshot held: the promise, the accepted entries after
     * the snapshot, and how far it knew the log chosen.
     */
    public static PaxosCore restore(PaxosConfig config, Random random, BallotNum promised, List<SlotEntry> accepted,
            long snapshotSlot, long commit) {
        PaxosCore c = new PaxosCore(config, random);
        c.promised = promised;
        c.maxRoundSeen = promised.round();
        c.snapshotSlot = snapshotSlot;
        c.chosenUpTo = snapshotSlot;
        for (SlotEntry e : accepted) {
            if (e.getSlot() > snapshotSlot) {
                c.log.put(e.getSlot(), new Slot(BallotNum.of(e.getBallot()), e.getValue(), e.getSlot() <= commit));
            }
        }
        c.knownCommit = commit;
        c.commitRecorded = Math.max(snapshotSlot, commit);
        c.lastConfigSlot = snapshotSlot;
        // Entries up to the recorded commit are chosen; the driver re-applies them from here.
        while (c.chosenUpTo < commit && c.log.containsKey(c.chosenUpTo + 1)) {
            c.chosenUpTo++;
            if (c.applyConfig(c.log.get(c.chosenUpTo).value())) {
                c.lastConfigSlot = c.chosenUpTo;
            }
        }
        return c;
    }

    // ---- accessors -------------------------------------------------------------------------

    public long id() {
        return id;
    }

    public Role role() {
        return role;
    }

    public boolean isLeader() {
        return role == Role.LEADER;
    }

    /** The leader this node follows (itself when leading), or 0 when it knows none. */
    public long leader() {
        return role == Role.LEADER ? id : leader;
    }

    public BallotNum promised() {
        return promised;
    }

    public long chosenUpTo() {
        return chosenUpTo;
    }

    /** The highest slot a leader has said is chosen (this node may not hold all of them yet). */
    public long knownCommit() {
        return knownCommit;
    }

    public long snapshotSlot() {
        return snapshotSlot;
    }

    public Set<Long> voters() {
        return Set.copyOf(voters);
    }

    public Set<Long> learners() {
        return Set.copyOf(learners);
    }

    /** The chosen entries after {@code after}, for re-applying them on start. */
    public List<SlotEntry> chosenEntriesAfter(long after) {
        List<SlotEntry> list = new ArrayList<>();
        for (long s = Math.max(after, snapshotSlot) + 1; s <= chosenUpTo; s++) {
            list.add(entry(s, log.get(s)));
        }
        return list;
    }

    /**
     * Everything the acceptor must still remember after a snapshot through {@link #snapshotSlot()}:
     * its promise, the entries after the snapshot, and how far it knows the log chosen. The
     * driver rewrites its log to exactly this.
     */
    public List<WalRecord> durableState() {
        List<WalRecord> out = new ArrayList<>();
        out.add(WalRecord.newBuilder().setPromised(promised.toProto()).build());
        for (Map.Entry<Long, Slot> e : log.tailMap(snapshotSlot, false).entrySet()) {
            out.add(WalRecord.newBuilder().setAccepted(entry(e.getKey(), e.getValue())).build());
        }
        out.add(WalRecord.newBuilder().setCommit(chosenUpTo).build());
        return out;
    }

    // ---- driver calls ----------------------------------------------------------------------

    public Ready tick() {
        maintainFollowerReads();
        if (role == Role.LEADER) {
            leaderTicks++;
            heartbeatElapsed++;
            if (heartbeatElapsed >= config.heartbeatTicks()) {
                heartbeatElapsed = 0;
                broadcastHeartbeat();
                retransmit();
            }
            checkQuorumContact();
        } else {
            ticksSinceHeard++;
            if (catchUpCooldown > 0) {
                catchUpCooldown--;
            }
            if (voters.contains(id) && ticksSinceHeard >= electionDeadline) {
                startElection();
            }
        }
        return flush(true);
    }

    public Ready step(PeerMessage m) {
        // From itself: only a leader's own acceptance, handed back by the driver once durable.
        if (m.getTo() != id || (m.getFrom() == id && m.getBodyCase() != PeerMessage.BodyCase.ACCEPTED)) {
            return flush();
        }
        BallotNum b = m.hasBallot() ? BallotNum.of(m.getBallot()) : BallotNum.ZERO;
        maxRoundSeen = Math.max(maxRoundSeen, b.round());
        switch (m.getBodyCase()) {
            case PREPARE -> onPrepare(m.getFrom(), b, m.getPrepare());
            case PROMISE -> onPromise(m.getFrom(), b, m.getPromise());
            case ACCEPT -> onAccept(m.getFrom(), b, m.getAccept());
            case ACCEPTED -> onAccepted(m.getFrom(), b, m.getAccepted());
            case NACK -> onNack(BallotNum.of(m.getNack().getPromised()));
            case HEARTBEAT -> onHeartbeat(m.getFrom(), b, m.getHeartbeat());
            case HEARTBEAT_ACK -> onHeartbeatAck(m.getFrom(), b, m.getHeartbeatAck());
            case CATCH_UP -> onCatchUp(m.getFrom(), m.getCatchUp());
            case CHOSEN -> onChosen(m.getFrom(), b, m.getChosen());
            case SNAPSHOT -> onSnapshot(m.getFrom(), b, m.getSnapshot());
            case FORWARD -> onForward(m.getFrom(), m.getForward());
            case FORWARD_REJECT -> out.rejected.addAll(m.getForwardReject().getIdsList());
            case TIMEOUT_NOW -> {
                if (voters.contains(id) && role != Role.LEADER && m.getFrom() == leader) {
                    resetElectionTimer();
                    role = Role.CANDIDATE;
                    startRealElection(true);
                }
            }
            case READ_REQUEST -> onReadRequest(m.getFrom(), m.getReadRequest());
            case READ_RESPONSE -> onReadResponse(m.getFrom(), m.getReadResponse());
            default -> { }
        }
        return flush();
    }

    /**
     * Hands leadership to the most caught-up other voter: it is told to stand at once, and its
     * ballot will be promised even though this leader is alive. Returns the member asked, or 0.
     */
    public Ready transferLeadership() {
        handOverLeadership();
        return flush();
    }

    private boolean removesSelf(Proposal p) {
        return p.hasConfig() && p.getConfig().getKind() == ConfigChange.Kind.REMOVE && p.getConfig().getMember().getId() == id
                && voters.size() > 1;
    }

    private void handOverLeadership() {
        long target = 0;
        long best = -1;
        if (role == Role.LEADER) {
            for (long v : voters) {
                if (v != id) {
                    long c = followerChosen.getOrDefault(v, -1L);
                    if (c > best) {
                        best = c;
                        target = v;
                    }
                }
            }
        }
        transferTarget = target;
        if (target != 0) {
            send(target, PeerMessage.newBuilder().setBallot(myBallot.toProto()).setTimeoutNow(TimeoutNow.getDefaultInstance()));
        }
    }

    /**
     * Takes on the membership recorded in a snapshot sent by a leader of an older version, one
     * whose snapshot message carries no configuration (see {@link Ready.InstallSnapshot}).
     */
    public void adoptMembership(Set<Long> newVoters, Set<Long> newLearners) {
        resetMembership(newVoters, newLearners);
    }

    private void resetMembership(Set<Long> newVoters, Set<Long> newLearners) {
        voters.clear();
        voters.addAll(newVoters);
        learners.clear();
        learners.addAll(newLearners);
    }

    /** The member the last {@link #transferLeadership()} asked to take over (0: none). */
    public long transferTarget() {
        return transferTarget;
    }

    /** Proposes commands: queued into slots when leading, forwarded to the leader otherwise. */
    public Ready propose(List<Proposal> proposals) {
        if (role == Role.LEADER) {
            List<Proposal> rest = new ArrayList<>();
            for (Proposal p : proposals) {
                if (removesSelf(p)) {
                    handOverLeadership();
                    out.rejected.add(p.getId());
                } else {
                    rest.add(p);
                }
            }
            enqueue(rest);
            fillWindow();
        } else if (leader != 0 && leader != id) {
            sendRequest(leader, PeerMessage.newBuilder().setForward(Forward.newBuilder().addAllProposals(proposals)));
        } else {
            for (Proposal p : proposals) {
                out.rejected.add(p.getId());
            }
        }
        return flush();
    }

    /**
     * Asks for a linearizable read point: answered in {@link Ready#reads} with the index to wait
     * for once a quorum has confirmed this node's leader still leads.
     */
    public Ready readIndex(long readId) {
        if (role == Role.LEADER) {
            startRead(readId, id);
        } else if (leader != 0 && leader != id) {
            readsForNextRequest.add(readId);
            if (readRequestOut == 0) {
                sendReadRequest();
            }
        } else {
            out.readsFailed.add(readId);
        }
        return flush();
    }

    /** The driver saved a snapshot of the state machine through {@code slot}: forget the log up to it. */
    public Ready snapshotTaken(long slot) {
        if (slot > chosenUpTo || slot <= snapshotSlot) {
            return flush();
        }
        log.headMap(slot, true).clear();
        snapshotSlot = slot;
        return flush();
    }

    // ---- elections -------------------------------------------------------------------------

    private void resetElectionTimer() {
        ticksSinceHeard = 0;
        electionDeadline = config.electionTicks() + random.nextInt(config.electionTicks());
    }

    /**
     * First a pre-vote: only when a majority would promise (none has heard from a leader lately)
     * does this node raise its ballot for real.
     */
    private void startElection() {
        resetElectionTimer();
        // A candidate whose round fails (a survivor that heard the dead leader a tick later
        // refuses, two candidates cross) tries again sooner than a follower gives up on a
        // leader: the benchmark's failovers spent a whole second timeout here. Still random,
        // so crossing candidates drift apart.
        electionDeadline = 2 * config.heartbeatTicks() + random.nextInt(config.electionTicks());
        // Whoever this node promised before has had its chance: a stale promise would make it
        // refuse every other candidate as "busy" (its timer was just reset), which stalled
        // failovers for a whole timeout when both survivors stood at once.
        promisedTo = 0;
        role = Role.CANDIDATE;
        leader = 0;
        promises.clear();
        preVotes.clear();
        preVotes.add(id);
        preVoting = true;
        myBallot = new BallotNum(Math.max(maxRoundSeen, promised.round()) + 1, id);
        for (long v : voters) {
            if (v != id) {
                send(v, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                        .setPrepare(Prepare.newBuilder().setFromSlot(chosenUpTo + 1).setPre(true)));
            }
        }
        maybePreWin();
    }

    private void maybePreWin() {
        if (role == Role.CANDIDATE && preVoting && countVoters(preVotes) >= quorum()) {
            preVoting = false;
            startRealElection();
        }
    }

    private void startRealElection() {
        startRealElection(false);
    }

    private void startRealElection(boolean transfer) {
        long round = Math.max(maxRoundSeen, promised.round()) + 1;
        maxRoundSeen = round;
        myBallot = new BallotNum(round, id);
        promised = myBallot;
        persistPromise();
        role = Role.CANDIDATE;
        leader = 0;
        promises.clear();
        prepareFrom = chosenUpTo + 1;
        promises.put(id, ownPromise(prepareFrom));
        for (long v : voters) {
            if (v != id) {
                send(v, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                        .setPrepare(Prepare.newBuilder().setFromSlot(prepareFrom).setTransfer(transfer)));
            }
        }
        maybeWin();
    }

    private Promise ownPromise(long from) {
        Promise.Builder p = Promise.newBuilder().setChosenUpTo(chosenUpTo).setSnapshotSlot(snapshotSlot);
        for (Map.Entry<Long, Slot> e : log.tailMap(from, true).entrySet()) {
            p.addAccepted(entry(e.getKey(), e.getValue()));
        }
        return p.build();
    }

    private void onPrepare(long from, BallotNum b, Prepare p) {
        if (!voters.contains(from) && p.getFromSlot() <= chosenUpTo + 1) {
            // Not a voter in the configuration this node knows, and no further along the log:
            // a learner or a stranger, which may not recruit it. A candidate further along may
            // know a newer configuration, in which it votes and this node's vote is needed: a
            // member that slept through a promotion and two removals refused the only candidate
            // left, and no leader could ever be elected again (simulator seed 2746, membership).
            return;
        }
        if (p.getFromSlot() <= chosenUpTo) {
            // The candidate knows less of the chosen log than this node does, so it may count
            // its quorum in a configuration older than the one in effect: a member behind a
            // promotion and a removal won with itself and the removed member, a quorum of the
            // configuration it knew but not of the current one, and chose a second value for a
            // slot (simulator seed 1104513, membership and disk faults). Like Raft's election
            // restriction: only a candidate at least as far along may recruit this node. One
            // further along will time out and stand itself.
            return;
        }
        // Busy: following a live leader, or just promised another candidate that may be winning now.
        boolean leaderAlive = ((leader != 0 && leader != from) || (promisedTo != 0 && promisedTo != from))
                && ticksSinceHeard < config.electionTicks();
        if (p.getPre()) {
            if (role != Role.LEADER && !leaderAlive && b.greaterThan(promised)) {
                send(from, PeerMessage.newBuilder().setBallot(b.toProto()).setPromise(Promise.newBuilder().setPre(true)));
            } else if (!b.greaterThan(promised)) {
                // Tell it the round to beat; a refusal because a leader is alive needs no answer.
                send(from, PeerMessage.newBuilder().setBallot(promised.toProto()).setNack(Nack.newBuilder().setPromised(promised.toProto())));
            }
            return;
        }
        boolean handOver = p.getTransfer() && from != id;
        if ((!handOver && (role == Role.LEADER || leaderAlive)) || !b.greaterThan(promised)) {
            // A healthy leader is not unseated by a node that merely lost touch for a while.
            send(from, PeerMessage.newBuilder().setBallot(promised.toProto()).setNack(Nack.newBuilder().setPromised(promised.toProto())));
            return;
        }
        promised = b;
        persistPromise();
        if (role != Role.FOLLOWER) {
            stepDown();
        }
        leader = 0;
        promisedTo = from;
        ticksSinceHeard = 0;
        send(from, PeerMessage.newBuilder().setBallot(b.toProto()).setPromise(ownPromise(p.getFromSlot())));
    }

    private void onPromise(long from, BallotNum b, Promise p) {
        if (role != Role.CANDIDATE || !b.equals(myBallot)) {
            return;
        }
        if (p.getPre()) {
            if (preVoting) {
                preVotes.add(from);
                maybePreWin();
            }
            return;
        }
        if (preVoting) {
            return;
        }
        if (p.getSnapshotSlot() >= prepareFrom) {
            // It compacted slots this node has not seen chosen: this node cannot lead until it catches up.
            stepDown();
            send(from, PeerMessage.newBuilder().setCatchUp(CatchUp.newBuilder().setFromSlot(chosenUpTo + 1)));
            return;
        }
        promises.put(from, p);
        maybeWin();
    }

    private void maybeWin() {
        if (role != Role.CANDIDATE || preVoting || countVoters(promises.keySet()) < quorum()) {
            return;
        }
        role = Role.LEADER;
        leader = id;
        leaderTicks = 0;
        heartbeatElapsed = 0;
        lastHeard.clear();
        acks.clear();
        readSeqAcked.clear();
        readRoundOut = false;
        // For every slot past what this node knows chosen, adopt the value of the highest ballot
        // any promiser accepted, or a no-op; then re-propose it under this ballot.
        long maxSlot = chosenUpTo;
        Map<Long, SlotEntry> best = new HashMap<>();
        for (Promise p : promises.values()) {
            for (SlotEntry e : p.getAcceptedList()) {
                if (e.getSlot() <= chosenUpTo) {
                    continue;
                }
                maxSlot = Math.max(maxSlot, e.getSlot());
                SlotEntry cur = best.get(e.getSlot());
                if (cur == null || BallotNum.of(e.getBallot()).greaterThan(BallotNum.of(cur.getBallot()))) {
                    best.put(e.getSlot(), e);
                }
            }
        }
        // Accepts may leave before this leader's own records are durable only when its promise
        // of this ballot is: a quorum that includes another voter answered a Prepare, which left
        // only once the promise was on disk. A lone voter's promise may not be; after a crash it
        // could reuse the ballot with another value, so its accepts wait for its disk.
        earlyAccepts = promises.keySet().stream().anyMatch(p -> p != id);
        followerChosen.clear();
        promises.forEach((from, p) -> {
            if (from != id) {
                followerChosen.put(from, p.getChosenUpTo());
            }
        });
        promises.clear();
        configSlots.clear();
        firstSlotOfBallot = maxSlot + 1;
        nextSlot = chosenUpTo + 1;
        configPendingSlot = 0;
        for (long s = chosenUpTo + 1; s <= maxSlot; s++) {
            SlotEntry e = best.get(s);
            Value v = e == null ? Value.getDefaultInstance() : e.getValue();
            assign(v);
        }
        // A no-op in this ballot: commits everything before it, and read index needs a commit of our own.
        assign(Value.getDefaultInstance());
        broadcastHeartbeat();
        fillWindow();
    }

    private void stepDown() {
        if (role == Role.LEADER) {
            for (Proposal p : queue) {
                out.rejected.add(p.getId());
            }
            queue.clear();
            for (PendingRead r : pendingReads) {
                failRead(r);
            }
            for (PendingRead r : readsAwaitingCommit) {
                failRead(r);
            }
            pendingReads.clear();
            readRoundOut = false;
            readsAwaitingCommit.clear();
        }
        role = Role.FOLLOWER;
        configSlots.clear();
        earlyAccepts = false;
        preVoting = false;
        promises.clear();
        acks.clear();
        resetElectionTimer();
    }

    private void failRead(PendingRead r) {
        if (r.from() == id) {
            out.readsFailed.add(r.readId());
        }
        // A follower's read just times out on its side.
    }

    private void onNack(BallotNum higher) {
        maxRoundSeen = Math.max(maxRoundSeen, higher.round());
        if (role != Role.FOLLOWER && higher.greaterThan(myBallot)) {
            stepDown();
            leader = 0;
        }
    }

    private void checkQuorumContact() {
        if (leaderTicks < 2 * config.electionTicks()) {
            return;
        }
        Set<Long> recent = new HashSet<>();
        recent.add(id);
        for (Map.Entry<Long, Integer> e : lastHeard.entrySet()) {
            if (leaderTicks - e.getValue() < 2 * config.electionTicks()) {
                recent.add(e.getKey());
            }
        }
        if (countVoters(recent) < quorum()) {
            // Cut off from a majority: stop claiming to lead, so clients go elsewhere.
            stepDown();
            leader = 0;
        }
    }

    // ---- phase 2 ---------------------------------------------------------------------------

    private void fillWindow() {
        while (role == Role.LEADER && !queue.isEmpty() && configPendingSlot == 0
                && nextSlot - 1 - chosenUpTo < config.window()) {
            Value.Builder v = Value.newBuilder();
            while (!queue.isEmpty() && v.getProposalsCount() < config.maxBatch()) {
                Proposal p = queue.peek();
                if (p.hasConfig()) {
                    if (v.getProposalsCount() > 0) {
                        break;
                    }
                    v.addProposals(queue.poll());
                    break;
                }
                v.addProposals(queue.poll());
            }
            if (v.getProposalsCount() == 1 && v.getProposals(0).hasConfig()) {
                // One membership change at a time: nothing more until it is chosen. Set before
                // assigning: a lone voter chooses the slot inside assign, which clears it again.
                configPendingSlot = nextSlot;
            }
            assign(v.build());
        }
    }

    /** Accepts a value in the next slot under this leader's ballot and asks everyone else to. */
    private long assign(Value v) {
        long slot = nextSlot++;
        log.put(slot, new Slot(myBallot, v, false));
        if (holdsConfig(v)) {
            configSlots.add(slot);
        }
        persistAccepted(slot);
        // This leader's own vote counts once its record is durable: the driver hands this back then.
        acks.put(slot, new HashSet<>());
        send(id, PeerMessage.newBuilder().setBallot(myBallot.toProto()).setAccepted(Accepted.newBuilder().addSlots(slot)));
        SlotEntry e = entry(slot, log.get(slot));
        for (long peer : others()) {
            PeerMessage.Builder accept = PeerMessage.newBuilder().setBallot(myBallot.toProto())
                    .setAccept(Accept.newBuilder().addEntries(e).setCommit(chosenUpTo));
            sendAsLeader(peer, accept);
        }
        return slot;
    }

    private void onAccept(long from, BallotNum b, Accept a) {
        if (b.compareTo(promised) < 0) {
            send(from, PeerMessage.newBuilder().setBallot(promised.toProto()).setNack(Nack.newBuilder().setPromised(promised.toProto())));
            return;
        }
        followLeader(from, b);
        Accepted.Builder ok = Accepted.newBuilder();
        for (SlotEntry e : a.getEntriesList()) {
            long s = e.getSlot();
            Slot cur = log.get(s);
            if (s > snapshotSlot && (cur == null || !cur.chosen)) {
                log.put(s, new Slot(b, e.getValue(), false));
                persistAccepted(s);
            }
            ok.addSlots(s);
        }
        send(from, PeerMessage.newBuilder().setBallot(b.toProto()).setAccepted(ok));
        learnCommit(b, a.getCommit());
    }

    /** Takes {@code b} as the live leader's ballot: promise it (durably) and stop any election. */
    private void followLeader(long from, BallotNum b) {
        promisedTo = 0;
        if (b.greaterThan(promised)) {
            promised = b;
            persistPromise();
        }
        if (role != Role.FOLLOWER && !(role == Role.LEADER && b.equals(myBallot))) {
            stepDown();
        }
        leader = from;
        ticksSinceHeard = 0;
    }

    private void onAccepted(long from, BallotNum b, Accepted a) {
        if (role != Role.LEADER || !b.equals(myBallot)) {
            return;
        }
        lastHeard.put(from, leaderTicks);
        for (long s : a.getSlotsList()) {
            Set<Long> set = acks.get(s);
            if (set != null) {
                set.add(from);
                checkChosen(s);
            }
        }
    }

    /**
     * Marks slot {@code s} chosen once a quorum of voters accepted it. Right after a membership
     * change, only voters known to hold that change as chosen count: the change is answered only
     * once a slot after it is chosen, so by then a majority of the new configuration has recorded
     * it, and any majority of survivors holds one member that counts quorums in the new
     * configuration. Counting every voter, a removal acknowledged and acted on could leave the
     * survivors a majority of the new configuration of which none knew it, all counting the old
     * one, and no leader could be elected again (simulator seed 1033387, membership and disk
     * faults). A slot behind a change not yet chosen waits for it.
     */
    private void checkChosen(long s) {
        Set<Long> set = acks.get(s);
        Slot slot = log.get(s);
        if (set == null || slot == null) {
            return;
        }
        Long pendingChange = configSlots.lower(s);
        if (pendingChange != null && pendingChange > chosenUpTo) {
            return;
        }
        int count;
        if (lastConfigSlot == chosenUpTo && lastConfigSlot > 0 && s > lastConfigSlot) {
            count = 0;
            for (long v : set) {
                if (voters.contains(v) && (v == id || followerChosen.getOrDefault(v, -1L) >= lastConfigSlot)) {
                    count++;
                }
            }
        } else {
            count = countVoters(set);
        }
        if (count < quorum()) {
            return;
        }
        slot.chosen = true;
        acks.remove(s);
        advanceChosen();
    }

    /** Slots waiting on {@link #checkChosen}'s rules: counted again when one of them may have changed. */
    private void recheckChosen() {
        for (long s : new ArrayList<>(acks.keySet())) {
            if (s > chosenUpTo) {
                checkChosen(s);
            }
        }
    }

    private static boolean holdsConfig(Value v) {
        for (Proposal p : v.getProposalsList()) {
            if (p.hasConfig()) {
                return true;
            }
        }
        return false;
    }

    /** Emits, in order, every slot now chosen right after the chosen prefix. */
    private void advanceChosen() {
        long before = chosenUpTo;
        boolean changed = false;
        while (true) {
            Slot next = log.get(chosenUpTo + 1);
            if (next == null || !next.chosen) {
                break;
            }
            chosenUpTo++;
            out.committed.add(entry(chosenUpTo, next));
            if (applyConfig(next.value())) {
                lastConfigSlot = chosenUpTo;
                configSlots.remove(chosenUpTo);
                // Recorded at once: a voter tells the leader it knows the change chosen only in
                // messages that leave after this record is durable (see checkChosen).
                recordCommitNow = true;
                changed = true;
            }
            next.pack();
        }
        knownCommit = Math.max(knownCommit, chosenUpTo);
        if (chosenUpTo > before) {
            if (role == Role.LEADER) {
                commitAdvanced = true;
                if (configPendingSlot != 0 && chosenUpTo >= configPendingSlot) {
                    configPendingSlot = 0;
                }
                releaseReadsAwaitingCommit();
                fillWindow();
                if (changed && role == Role.LEADER) {
                    if (nextSlot == chosenUpTo + 1) {
                        // The change is answered once a slot after it is chosen: make one.
                        assign(Value.getDefaultInstance());
                    }
                    recheckChosen();
                }
            }
        }
    }

    /** Applies the membership changes in a chosen value; whether it held any. */
    private boolean applyConfig(Value v) {
        boolean any = false;
        for (Proposal p : v.getProposalsList()) {
            if (!p.hasConfig()) {
                continue;
            }
            any = true;
            ConfigChange c = p.getConfig();
            long node = c.getMember().getId();
            switch (c.getKind()) {
                case ADD_LEARNER -> {
                    if (!voters.contains(node)) {
                        learners.add(node);
                    }
                }
                case PROMOTE -> {
                    learners.remove(node);
                    voters.add(node);
                }
                case REMOVE -> {
                    learners.remove(node);
                    voters.remove(node);
                    if (node == id && role != Role.FOLLOWER) {
                        stepDown();
                        leader = 0;
                    }
                }
            }
        }
        return any;
    }

    /** A follower learns that everything through {@code commit} is chosen under leader ballot {@code b}. */
    private void learnCommit(BallotNum b, long commit) {
        knownCommit = Math.max(knownCommit, commit);
        for (long s = chosenUpTo + 1; s <= knownCommit; s++) {
            Slot slot = log.get(s);
            if (slot == null || !(slot.chosen || slot.ballot.equals(b))) {
                break;
            }
            // Accepted under the ballot whose leader says it is chosen: this is the chosen value.
            slot.chosen = true;
        }
        advanceChosen();
        if (chosenUpTo < knownCommit && catchUpCooldown == 0 && leader != 0) {
            catchUpCooldown = config.heartbeatTicks();
            send(leader, PeerMessage.newBuilder().setCatchUp(CatchUp.newBuilder().setFromSlot(chosenUpTo + 1)));
        }
    }

    private void retransmit() {
        int sent = 0;
        for (Map.Entry<Long, Set<Long>> e : new TreeMap<>(acks).entrySet()) {
            Slot slot = log.get(e.getKey());
            if (slot == null || sent++ >= config.window()) {
                break;
            }
            SlotEntry entry = entry(e.getKey(), slot);
            for (long peer : others()) {
                if (!e.getValue().contains(peer)) {
                    send(peer, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                            .setAccept(Accept.newBuilder().addEntries(entry).setCommit(chosenUpTo)));
                }
            }
        }
    }

    // ---- heartbeats, catch-up, snapshots ---------------------------------------------------

    private void broadcastHeartbeat() {
        for (long peer : others()) {
            sendAsLeader(peer, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                    .setHeartbeat(Heartbeat.newBuilder().setCommit(chosenUpTo).setReadSeq(readSeq)));
        }
    }

    private void onHeartbeat(long from, BallotNum b, Heartbeat h) {
        if (b.compareTo(promised) < 0) {
            send(from, PeerMessage.newBuilder().setBallot(promised.toProto()).setNack(Nack.newBuilder().setPromised(promised.toProto())));
            return;
        }
        followLeader(from, b);
        learnCommit(b, h.getCommit());
        // After learning the commit: a membership change it chose is told back at once (its
        // record goes to disk before this answer leaves), and the slots after it count again.
        send(from, PeerMessage.newBuilder().setBallot(b.toProto())
                .setHeartbeatAck(HeartbeatAck.newBuilder().setReadSeq(h.getReadSeq()).setChosenUpTo(chosenUpTo)));
    }

    private void onHeartbeatAck(long from, BallotNum b, HeartbeatAck a) {
        if (role != Role.LEADER || !b.equals(myBallot)) {
            return;
        }
        lastHeard.put(from, leaderTicks);
        long before = followerChosen.getOrDefault(from, -1L);
        followerChosen.put(from, a.getChosenUpTo());
        readSeqAcked.merge(from, a.getReadSeq(), Math::max);
        confirmReads();
        if (before < lastConfigSlot && a.getChosenUpTo() >= lastConfigSlot && lastConfigSlot == chosenUpTo) {
            recheckChosen();
        }
    }

    private void onCatchUp(long from, CatchUp c) {
        long fromSlot = c.getFromSlot();
        if (fromSlot <= snapshotSlot) {
            out.snapshotsNeeded.add(new Ready.SnapshotNeeded(from));
            return;
        }
        Chosen.Builder ch = Chosen.newBuilder().setCommit(chosenUpTo);
        for (long s = fromSlot; s <= chosenUpTo && ch.getEntriesCount() < config.catchUpBatch(); s++) {
            Slot slot = log.get(s);
            if (slot == null) {
                break;
            }
            ch.addEntries(entry(s, slot));
        }
        if (ch.getEntriesCount() > 0) {
            send(from, PeerMessage.newBuilder().setBallot(promised.toProto()).setChosen(ch));
        }
    }

    private void onChosen(long from, BallotNum b, Chosen c) {
        for (SlotEntry e : c.getEntriesList()) {
            long s = e.getSlot();
            if (s <= chosenUpTo) {
                continue;
            }
            Slot cur = log.get(s);
            if (cur == null || !cur.chosen) {
                log.put(s, new Slot(BallotNum.of(e.getBallot()), e.getValue(), true));
                persistAccepted(s);
            }
        }
        knownCommit = Math.max(knownCommit, c.getCommit());
        advanceChosen();
        if (chosenUpTo < knownCommit && c.getEntriesCount() > 0) {
            // More to fetch: ask again at once rather than waiting for the next heartbeat.
            send(from, PeerMessage.newBuilder().setCatchUp(CatchUp.newBuilder().setFromSlot(chosenUpTo + 1)));
        }
    }

    private void onSnapshot(long from, BallotNum b, InstallSnapshot s) {
        if (s.getSlot() <= chosenUpTo) {
            return;
        }
        log.headMap(s.getSlot(), true).clear();
        snapshotSlot = s.getSlot();
        chosenUpTo = s.getSlot();
        if (s.getVotersCount() > 0) {
            // The configuration as of the snapshot, here, before the slots after it apply their
            // changes on top. Taken on later, when the driver installs the snapshot, it undid
            // the changes of slots chosen meanwhile: a member restarted into a promotion kept
            // the promoted member a learner, and two voters could no longer agree on a quorum
            // (simulator seed 50132, membership and disk faults).
            resetMembership(new java.util.HashSet<>(s.getVotersList()), new java.util.HashSet<>(s.getLearnersList()));
        }
        knownCommit = Math.max(knownCommit, chosenUpTo);
        out.install = new Ready.InstallSnapshot(s.getSlot(), s.getData().toByteArray(), s.getVotersCount() > 0);
        out.records.add(WalRecord.newBuilder().setCommit(chosenUpTo).build());
        commitRecorded = chosenUpTo;
        advanceChosen();
        if (leader != 0) {
            send(leader, PeerMessage.newBuilder().setCatchUp(CatchUp.newBuilder().setFromSlot(chosenUpTo + 1)));
        }
    }

    /**
     * Builds the snapshot message a driver sends for {@link Ready.SnapshotNeeded}: the state
     * through {@code slot}, and the voters and learners as of that slot.
     */
    public PeerMessage snapshotMessage(long to, long slot, byte[] data, Set<Long> votersAtSlot, Set<Long> learnersAtSlot) {
        return PeerMessage.newBuilder().setFrom(id).setTo(to).setBallot(promised.toProto())
                .setSnapshot(InstallSnapshot.newBuilder().setSlot(slot).setData(ByteString.copyFrom(data))
                        .addAllVoters(votersAtSlot).addAllLearners(learnersAtSlot)).build();
    }

    private void onForward(long from, Forward f) {
        if (role == Role.LEADER) {
            List<Proposal> rest = new ArrayList<>();
            ForwardReject.Builder handOver = ForwardReject.newBuilder();
            for (Proposal p : f.getProposalsList()) {
                if (removesSelf(p)) {
                    handOver.addIds(p.getId());
                } else {
                    rest.add(p);
                }
            }
            if (handOver.getIdsCount() > 0) {
                // Removing the leader: hand over first; the proposer retries with the new leader.
                handOverLeadership();
                send(from, PeerMessage.newBuilder().setForwardReject(handOver));
            }
            enqueue(rest);
            fillWindow();
        } else {
            ForwardReject.Builder r = ForwardReject.newBuilder();
            f.getProposalsList().forEach(p -> r.addIds(p.getId()));
            send(from, PeerMessage.newBuilder().setForwardReject(r));
        }
    }

    private void enqueue(List<Proposal> proposals) {
        for (Proposal p : proposals) {
            if (!seenProposals.add(p.getId())) {
                continue; // a duplicate delivery of a forward already queued
            }
            if (seenProposals.size() > SEEN_PROPOSALS) {
                Iterator<Long> oldest = seenProposals.iterator();
                oldest.next();
                oldest.remove();
            }
            queue.add(p);
        }
    }

    // ---- read index ------------------------------------------------------------------------

    /** Asks the leader for a read index for every read waiting; they arrived before this leaves. */
    private void sendReadRequest() {
        readsOnRequest.addAll(readsForNextRequest);
        readsForNextRequest.clear();
        readRequestOut = ++readRequestSeq;
        readRequestTo = leader;
        readRequestAge = 0;
        sendRequest(leader, PeerMessage.newBuilder().setReadRequest(ReadIndexRequest.newBuilder().setReadId(readRequestOut)));
    }

    private void onReadResponse(long from, ReadIndexResponse r) {
        if (readRequestOut == 0 || r.getReadId() != readRequestOut || from != readRequestTo) {
            return; // an answer to a request given up on: its reads rode on a later one
        }
        for (long readId : readsOnRequest) {
            out.reads.add(new Ready.ReadReady(readId, r.getIndex()));
        }
        readsOnRequest.clear();
        readRequestOut = 0;
        if (!readsForNextRequest.isEmpty() && role != Role.LEADER && leader != 0 && leader != id) {
            sendReadRequest();
        }
    }

    /**
     * A request unanswered for an election timeout, or sent to a member no longer leader, is
     * asked again of the leader known now (all its reads arrived before the new one leaves);
     * with no leader they fail; a node that now leads serves them itself.
     */
    private void maintainFollowerReads() {
        if (readRequestOut == 0 && readsForNextRequest.isEmpty()) {
            return;
        }
        if (role == Role.LEADER) {
            dropFollowerReads().forEach(r -> startRead(r, id));
            return;
        }
        if (readRequestOut != 0 && ++readRequestAge < config.electionTicks() && leader == readRequestTo) {
            return;
        }
        if (leader != 0 && leader != id) {
            sendReadRequest();
        } else {
            out.readsFailed.addAll(dropFollowerReads());
        }
    }

    /** Every read waiting on the leader, oldest first, no longer waiting: no request is out. */
    private List<Long> dropFollowerReads() {
        List<Long> all = new ArrayList<>(readsOnRequest);
        all.addAll(readsForNextRequest);
        readsOnRequest.clear();
        readsForNextRequest.clear();
        readRequestOut = 0;
        return all;
    }

    private void onReadRequest(long from, ReadIndexRequest r) {
        if (role == Role.LEADER) {
            startRead(r.getReadId(), from);
        }
    }

    private void startRead(long readId, long from) {
        PendingRead r = new PendingRead(readId, from, chosenUpTo, 0);
        if (chosenUpTo < firstSlotOfBallot) {
            // Until a slot of this ballot is chosen, this leader's commit index may be behind.
            readsAwaitingCommit.add(r);
            return;
        }
        queueRead(r);
    }

    private void releaseReadsAwaitingCommit() {
        if (chosenUpTo < firstSlotOfBallot || readsAwaitingCommit.isEmpty()) {
            return;
        }
        List<PendingRead> ready = new ArrayList<>(readsAwaitingCommit);
        readsAwaitingCommit.clear();
        for (PendingRead r : ready) {
            queueRead(new PendingRead(r.readId(), r.from(), chosenUpTo, 0));
        }
    }

    /**
     * A read waits for a heartbeat round that starts after it arrived: the next one. While a
     * round is out, reads that arrive join the one after it, so a burst of reads costs one round
     * per round trip instead of one each (etcd batches its read index the same way).
     */
    private void queueRead(PendingRead r) {
        pendingReads.add(new PendingRead(r.readId(), r.from(), r.index(), readSeq + 1));
        if (quorum() <= 1) {
            readSeq++;
            confirmReads();
            return;
        }
        if (!readRoundOut) {
            startReadRound();
        }
    }

    private void startReadRound() {
        readSeq++;
        readRoundOut = true;
        broadcastHeartbeat();
    }

    private void confirmReads() {
        Iterator<PendingRead> it = pendingReads.iterator();
        while (it.hasNext()) {
            PendingRead r = it.next();
            Set<Long> confirmed = new HashSet<>();
            confirmed.add(id);
            for (Map.Entry<Long, Long> e : readSeqAcked.entrySet()) {
                if (e.getValue() >= r.seq()) {
                    confirmed.add(e.getKey());
                }
            }
            if (countVoters(confirmed) < quorum()) {
                continue;
            }
            it.remove();
            if (r.from() == id) {
                out.reads.add(new Ready.ReadReady(r.readId(), r.index()));
            } else {
                send(r.from(), PeerMessage.newBuilder().setBallot(myBallot.toProto())
                        .setReadResponse(ReadIndexResponse.newBuilder().setReadId(r.readId()).setIndex(r.index())));
            }
        }
        if (readRoundOut && pendingReads.stream().noneMatch(r -> r.seq() <= readSeq)) {
            // This round is done; reads that arrived during it go in the next.
            readRoundOut = false;
            if (!pendingReads.isEmpty() && role == Role.LEADER) {
                startReadRound();
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    private int quorum() {
        return voters.size() / 2 + 1;
    }

    private int countVoters(Set<Long> nodes) {
        int n = 0;
        for (long v : nodes) {
            if (voters.contains(v)) {
                n++;
            }
        }
        return n;
    }

    private List<Long> others() {
        List<Long> all = new ArrayList<>();
        for (long v : voters) {
            if (v != id) {
                all.add(v);
            }
        }
        for (long l : learners) {
            if (l != id) {
                all.add(l);
            }
        }
        return all;
    }

    private static SlotEntry entry(long slot, Slot s) {
        return SlotEntry.newBuilder().setSlot(slot).setBallot(s.ballot.toProto()).setValue(s.value()).build();
    }

    private void persistPromise() {
        out.records.add(WalRecord.newBuilder().setPromised(promised.toProto()).build());
    }

    private void persistAccepted(long slot) {
        out.records.add(WalRecord.newBuilder().setAccepted(entry(slot, log.get(slot))).build());
    }

    private void send(long to, PeerMessage.Builder m) {
        m.setFrom(id).setTo(to);
        out.messages.add(m.build());
    }

    /**
     * A follower's request to the leader (proposals to forward, a read index to ask for): it
     * vouches for nothing this node persists, so it leaves at once (see {@link Ready#early})
     * instead of waiting behind the fsync of whatever this node accepted just before.
     */
    private void sendRequest(long to, PeerMessage.Builder m) {
        m.setFrom(id).setTo(to);
        out.early.add(m.build());
    }

    /**
     * A leader's accept or heartbeat: it depends on nothing this Ready persists, only on the
     * leader's promise of its ballot, so it leaves at once (see {@link Ready#early}) when that
     * promise is known durable ({@link #earlyAccepts}), else with the records.
     */
    private void sendAsLeader(long to, PeerMessage.Builder m) {
        m.setFrom(id).setTo(to);
        (earlyAccepts ? out.early : out.messages).add(m.build());
    }

    private Ready flush() {
        return flush(false);
    }

    /** Hands over what this call asked for; {@code tick}: a commit not yet recorded goes now. */
    private Ready flush(boolean tick) {
        if (commitAdvanced && role == Role.LEADER) {
            // Tell followers at once, so those serving clients apply without waiting for a heartbeat.
            // Early: the commit is already a fact (durable acceptances by a quorum), whether or
            // not this leader's commit record has reached its disk.
            for (long peer : others()) {
                sendAsLeader(peer, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                        .setHeartbeat(Heartbeat.newBuilder().setCommit(chosenUpTo).setReadSeq(readSeq)));
            }
        }
        commitAdvanced = false;
        if (chosenUpTo > commitRecorded && (tick || recordCommitNow || !out.records.isEmpty())) {
            out.records.add(WalRecord.newBuilder().setCommit(chosenUpTo).build());
            commitRecorded = chosenUpTo;
        }
        recordCommitNow = false;
        Ready r = out;
        out = new Ready();
        return r;
    }
}
