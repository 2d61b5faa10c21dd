package io.cairn.node.paxos;

import com.google.protobuf.ByteString;
import io.cairn.node.paxos.SlotLog.Slot;
import io.cairn.proto.Peer.Accept;
import io.cairn.proto.Peer.Accepted;
import io.cairn.proto.Peer.CatchUp;
import io.cairn.proto.Peer.Chosen;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

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
 *
 * <p>This class holds the roles and the protocol's steps; what they work on is cut out as etcd
 * cuts it: the {@link SlotLog log of slots}, the {@link Configuration membership and quorum
 * rule}, each peer's {@link Progress}, and the read index ({@link LeaderReads},
 * {@link FollowerReads}).
 */
public final class PaxosCore {
    public enum Role { FOLLOWER, CANDIDATE, LEADER }

    private final PaxosConfig config;
    private final long id;
    private final Random random;
    private final FollowerReads followerReads;
    private final Configuration members;

    // Durable acceptor state (mirrored in the WAL through Ready.records).
    private BallotNum promised = BallotNum.ZERO;
    private SlotLog log = new SlotLog();

    // Volatile state.
    private Role role = Role.FOLLOWER;
    private long leader;
    private int ticksSinceHeard;
    private int electionDeadline;
    private long maxRoundSeen;
    private int catchUpCooldown;
    /** The candidate this acceptor last promised, until it hears from a leader. */
    private long promisedTo;
    /** A membership change was chosen: its commit is recorded now, not on the next tick. */
    private boolean recordCommitNow;

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
    private int leaderTicks;
    private final Progress progress;
    private final LeaderReads reads = new LeaderReads();
    /** Whether this leader's accepts may leave before its own records are durable (see maybeWin). */
    private boolean earlyAccepts;
    /**
     * This node's protocol version: which commands it can apply, which messages it reads. 2:
     * compares of target PREFIX_REV. 3: snapshots sent in pieces (InstallSnapshot.offset/total,
     * SnapshotAck), which a member sends only to a peer that said 3. A command that needs a
     * version is proposed only once every member has it (see {@link #clusterVersion}), so an
     * older member never applies what it would read otherwise.
     */
    public static final int VERSION = 3;
    /** The version each other member last sent (absent from a message: 1). */
    private final Map<Long, Integer> versions = new HashMap<>();
    /** As a follower: the cluster version the leader last said; 0 when unknown. */
    private int leaderSaidVersion;
    /** See {@link #leaderCause}. */
    private String leaderCause = "start";
    /** Proposal ids this node has queued as leader, so a duplicated forward is not applied twice. */
    private final LinkedHashSet<Long> seenProposals = new LinkedHashSet<>();
    private static final int SEEN_PROPOSALS = 1 << 16;
    /**
     * The values this node put in slots as leader that carry proposals, by slot, until the slot
     * is chosen. One chosen with another value (a successor's, this node deposed meanwhile)
     * means its proposals will never apply, and their proposers are told so at once (see
     * {@link Ready#rejected}). Before, a write a deposed leader had taken waited out its whole
     * timeout: a member that stalled while leading took a client's write into a slot its
     * successor had already filled, and the client gave up after 10 s (CI, SchemaClusterTest).
     */
    private final Map<Long, Value> assignedHere = new HashMap<>();
    /**
     * Bytes of values one catch-up answer carries at most (and at least one slot). Counted in
     * slots alone, an answer under a 1 KiB-value load was 256 slots of about 240 writes each:
     * 60 MB in one message.
     */
    static final long CATCH_UP_BYTES = 4 << 20;
    private long transferTarget;
    /**
     * The member this leader is handing over to, still catching up (0: none), and for how many
     * ticks. Until it holds everything chosen, and nothing else is in flight, it is not told to
     * stand, and this leader proposes nothing new.
     */
    private long transferPending;
    private int transferAge;
    private boolean commitAdvanced;

    private Ready out = new Ready();

    public PaxosCore(PaxosConfig config, Random random) {
        this.config = config;
        this.id = config.id();
        this.random = random;
        this.followerReads = new FollowerReads(random);
        this.members = new Configuration(id, config.voters(), config.learners());
        this.progress = new Progress(id);
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
        c.log = SlotLog.restore(accepted, snapshotSlot, commit);
        c.members.restoredFrom(snapshotSlot);
        // Entries up to the recorded commit are chosen; the driver re-applies them from here.
        Slot s;
        while (c.log.chosenUpTo() < commit && (s = c.log.advance()) != null) {
            c.members.applyChosen(c.log.chosenUpTo(), s.value());
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
        return log.chosenUpTo();
    }

    /**
     * The lowest protocol version among the members: as the leader, of every voter and learner
     * it has heard from (0 while one has not been heard); as a follower, what its leader last
     * said (0 without a leader, or under a leader of version 1, which says nothing).
     */
    public int clusterVersion() {
        if (role == Role.LEADER) {
            int min = VERSION;
            for (long m : members.voterList()) {
                if (m != id) {
                    min = Math.min(min, versions.getOrDefault(m, 0));
                }
            }
            for (long m : members.learners()) {
                if (m != id) {
                    min = Math.min(min, versions.getOrDefault(m, 0));
                }
            }
            return min;
        }
        return leader == 0 ? 0 : leaderSaidVersion;
    }

    /**
     * Why this node's view of the leader last changed, in words for the log: an election timeout,
     * a higher ballot seen, a hand-over, removal from the membership, lost contact with a
     * majority, an election won, or word from a new leader.
     */
    public String leaderCause() {
        return leaderCause;
    }

    /** The highest slot a leader has said is chosen (this node may not hold all of them yet). */
    public long knownCommit() {
        return log.knownCommit();
    }

    public long snapshotSlot() {
        return log.snapshotSlot();
    }

    public Set<Long> voters() {
        return members.voters();
    }

    public Set<Long> learners() {
        return members.learners();
    }

    /** The chosen entries after {@code after}, for re-applying them on start. */
    public List<SlotEntry> chosenEntriesAfter(long after) {
        return log.chosenAfter(after);
    }

    /**
     * Everything the acceptor must still remember after a snapshot through {@link #snapshotSlot()}:
     * its promise, the entries after the snapshot, and how far it knows the log chosen. The
     * driver rewrites its log to exactly this.
     */
    public List<WalRecord> durableState() {
        List<WalRecord> records = new ArrayList<>();
        records.add(WalRecord.newBuilder().setPromised(promised.toProto()).build());
        records.addAll(log.durableEntries());
        return records;
    }

    /** The member the last {@link #transferLeadership()} asked to take over (0: none). */
    public long transferTarget() {
        return transferTarget;
    }

    // ---- driver calls ----------------------------------------------------------------------

    public Ready tick() {
        maintainFollowerReads();
        if (role == Role.LEADER) {
            leaderTicks++;
            heartbeatElapsed++;
            if (transferPending != 0 && ++transferAge > config.electionTicks()) {
                // It never caught up (it may be down): keep leading, and serving.
                transferPending = 0;
                fillWindow();
            }
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
            if (members.isVoter(id) && ticksSinceHeard >= electionDeadline) {
                leaderCause = role == Role.CANDIDATE ? "its election round failed; standing again"
                        : "election timeout: no word from a leader for " + ticksSinceHeard + " ticks";
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
        versions.put(m.getFrom(), m.hasVersion() ? m.getVersion() : 1);
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
                if (members.isVoter(id) && role != Role.LEADER && m.getFrom() == leader) {
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

    /** Proposes commands: queued into slots when leading, forwarded to the leader otherwise. */
    public Ready propose(List<Proposal> proposals) {
        if (role == Role.LEADER) {
            List<Proposal> rest = new ArrayList<>();
            for (Proposal p : proposals) {
                if (members.removesSelf(p)) {
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
            followerReads.add(readId);
            if (!followerReads.requestOut()) {
                sendReadRequest();
            }
        } else {
            out.readsFailed.add(readId);
        }
        return flush();
    }

    /** The driver saved a snapshot of the state machine through {@code slot}: forget the log up to it. */
    public Ready snapshotTaken(long slot) {
        log.compact(slot);
        return flush();
    }

    /**
     * Takes on the membership recorded in a snapshot sent by a leader of an older version, one
     * whose snapshot message carries no configuration (see {@link Ready.InstallSnapshot}).
     */
    public void adoptMembership(Set<Long> newVoters, Set<Long> newLearners) {
        members.reset(newVoters, newLearners);
    }

    /**
     * Builds the snapshot message a driver sends for {@link Ready.SnapshotNeeded}: the state
     * through {@code slot}, and the voters and learners as of that slot.
     */
    /** The protocol version member {@code peer} last sent (1 when it said none; 0 when not heard from). */
    public int versionOf(long peer) {
        return versions.getOrDefault(peer, 0);
    }

    public PeerMessage snapshotMessage(long to, long slot, byte[] data, Set<Long> votersAtSlot, Set<Long> learnersAtSlot) {
        return PeerMessage.newBuilder().setFrom(id).setTo(to).setVersion(VERSION).setBallot(promised.toProto())
                .setSnapshot(InstallSnapshot.newBuilder().setSlot(slot).setData(ByteString.copyFrom(data))
                        .addAllVoters(votersAtSlot).addAllLearners(learnersAtSlot)).build();
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
        for (long v : members.voterList()) {
            if (v != id) {
                send(v, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                        .setPrepare(Prepare.newBuilder().setFromSlot(log.chosenUpTo() + 1).setPre(true)));
            }
        }
        maybePreWin();
    }

    private void maybePreWin() {
        if (role == Role.CANDIDATE && preVoting && members.isQuorum(preVotes)) {
            preVoting = false;
            startRealElection(false);
        }
    }

    private void startRealElection(boolean transfer) {
        if (transfer) {
            leaderCause = "hand-over: the leader asked this member to take over";
        }
        long round = Math.max(maxRoundSeen, promised.round()) + 1;
        maxRoundSeen = round;
        myBallot = new BallotNum(round, id);
        promised = myBallot;
        persistPromise();
        role = Role.CANDIDATE;
        leader = 0;
        promises.clear();
        prepareFrom = log.chosenUpTo() + 1;
        promises.put(id, ownPromise(prepareFrom));
        for (long v : members.voterList()) {
            if (v != id) {
                send(v, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                        .setPrepare(Prepare.newBuilder().setFromSlot(prepareFrom).setTransfer(transfer)));
            }
        }
        maybeWin();
    }

    private Promise ownPromise(long from) {
        return Promise.newBuilder().setChosenUpTo(log.chosenUpTo()).setSnapshotSlot(log.snapshotSlot())
                .addAllAccepted(log.entriesFrom(from)).build();
    }

    private void onPrepare(long from, BallotNum b, Prepare p) {
        long chosenUpTo = log.chosenUpTo();
        if (!members.isVoter(from) && p.getFromSlot() <= chosenUpTo + 1) {
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
        if (leader != 0) {
            leaderCause = "higher ballot seen: member " + from + " stands for election with ballot " + b;
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
            send(from, PeerMessage.newBuilder().setCatchUp(CatchUp.newBuilder().setFromSlot(log.chosenUpTo() + 1)));
            return;
        }
        promises.put(from, p);
        maybeWin();
    }

    private void maybeWin() {
        if (role != Role.CANDIDATE || preVoting || !members.isQuorum(promises.keySet())) {
            return;
        }
        role = Role.LEADER;
        leader = id;
        // The cause that started the election, once: a cause is never wrapped twice.
        leaderCause = "won the election with ballot " + myBallot + (leaderCause.startsWith("won") ? "" : " (" + leaderCause + ")");
        leaderTicks = 0;
        heartbeatElapsed = 0;
        acks.clear();
        reads.startLeading();
        // For every slot past what this node knows chosen, adopt the value of the highest ballot
        // any promiser accepted, or a no-op; then re-propose it under this ballot.
        long chosenUpTo = log.chosenUpTo();
        long maxSlot = chosenUpTo;
        Map<Long, SlotEntry> best = new HashMap<>();
        Map<Long, Long> chosenByPromiser = new HashMap<>();
        for (Map.Entry<Long, Promise> pe : promises.entrySet()) {
            chosenByPromiser.put(pe.getKey(), pe.getValue().getChosenUpTo());
            for (SlotEntry e : pe.getValue().getAcceptedList()) {
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
        progress.startLeading(chosenByPromiser);
        promises.clear();
        members.startLeading();
        firstSlotOfBallot = maxSlot + 1;
        nextSlot = chosenUpTo + 1;
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
            for (LeaderReads.Read r : reads.drain()) {
                if (r.from() == id) {
                    out.readsFailed.add(r.readId());
                }
                // A follower's read just times out on its side.
            }
        }
        role = Role.FOLLOWER;
        transferPending = 0;
        members.stopLeading();
        earlyAccepts = false;
        preVoting = false;
        promises.clear();
        acks.clear();
        resetElectionTimer();
    }

    private void onNack(BallotNum higher) {
        maxRoundSeen = Math.max(maxRoundSeen, higher.round());
        if (role != Role.FOLLOWER && higher.greaterThan(myBallot)) {
            stepDown();
            leader = 0;
            leaderCause = "higher ballot seen: " + higher + " refused ballot " + myBallot;
        }
    }

    private void checkQuorumContact() {
        if (leaderTicks < 2 * config.electionTicks()) {
            return;
        }
        if (!members.isQuorum(progress.heardWithin(leaderTicks, 2 * config.electionTicks()))) {
            // Cut off from a majority: stop claiming to lead, so clients go elsewhere.
            stepDown();
            leader = 0;
            leaderCause = "lost contact with a majority of the voters";
        }
    }

    /**
     * Hands leadership to the voter that said it knows the most of the log chosen, once it knows
     * all of it. Told to stand while behind, it asked voters further along than itself, and they
     * refuse such a candidate (see onPrepare): the old leader won again, was asked to hand over
     * again, and leadership went round for seconds, every session's TTL starting afresh with each
     * leader (simulator seed 5022065, membership and disk faults). So, as Raft's leader transfer
     * does, this leader stops proposing, lets the target catch up, and only then tells it.
     */
    private void handOverLeadership() {
        long target = role == Role.LEADER ? progress.mostCaughtUp(members.voterList()) : 0;
        transferTarget = target;
        transferPending = target;
        transferAge = 0;
        if (target != 0 && !maybeTellTransferTarget()) {
            sendAsLeader(target, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                    .setHeartbeat(heartbeat()));
        }
    }

    /** Tells the transfer target to stand if it holds everything chosen and nothing is in flight; whether it did. */
    private boolean maybeTellTransferTarget() {
        if (transferPending == 0 || role != Role.LEADER || nextSlot != log.chosenUpTo() + 1
                || progress.chosen(transferPending) < log.chosenUpTo()) {
            return false;
        }
        send(transferPending, PeerMessage.newBuilder().setBallot(myBallot.toProto()).setTimeoutNow(TimeoutNow.getDefaultInstance()));
        transferPending = 0;
        return true;
    }

    // ---- phase 2 ---------------------------------------------------------------------------

    /**
     * The caller's wall clock (ms since the epoch), stamped on each slot this member proposes as
     * leader: the time its revisions are recorded with. An input like any other, so the core
     * stays pure.
     */
    public void observeWallClock(long ms) {
        wallMs = ms;
    }

    private long wallMs;

    private void fillWindow() {
        while (role == Role.LEADER && !queue.isEmpty() && !members.changePending() && transferPending == 0
                && nextSlot - 1 - log.chosenUpTo() < config.window()) {
            Value.Builder v = Value.newBuilder();
            if (wallMs > 0) {
                v.setTimeMs(wallMs);
            }
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
                members.proposed(nextSlot, true);
            }
            assign(v.build());
        }
    }

    /** Accepts a value in the next slot under this leader's ballot and asks everyone else to. */
    private long assign(Value v) {
        long slot = nextSlot++;
        log.accept(slot, myBallot, v);
        if (v.getProposalsCount() > 0) {
            // The first kept: re-elected before this slot was chosen, this node may now propose
            // a successor's value in it, and its own earlier one is still the one to settle.
            assignedHere.putIfAbsent(slot, v);
        }
        if (Configuration.holdsChange(v)) {
            members.proposed(slot, false);
        }
        persistAccepted(slot);
        // This leader's own vote counts once its record is durable: the driver hands this back then.
        acks.put(slot, new HashSet<>());
        send(id, PeerMessage.newBuilder().setBallot(myBallot.toProto()).setAccepted(Accepted.newBuilder().addSlots(slot)));
        SlotEntry e = log.entry(slot);
        for (long peer : members.others()) {
            PeerMessage.Builder accept = PeerMessage.newBuilder().setBallot(myBallot.toProto())
                    .setAccept(Accept.newBuilder().addEntries(e).setCommit(log.chosenUpTo()));
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
            if (s > log.snapshotSlot() && (cur == null || !cur.chosen)) {
                log.accept(s, b, e.getValue());
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
        if (leader != from) {
            leaderCause = "heard from member " + from + " leading with ballot " + b;
            leaderSaidVersion = 0; // until the new leader says
        }
        leader = from;
        ticksSinceHeard = 0;
    }

    private void onAccepted(long from, BallotNum b, Accepted a) {
        if (role != Role.LEADER || !b.equals(myBallot)) {
            return;
        }
        progress.heard(from, leaderTicks);
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
        long chosenUpTo = log.chosenUpTo();
        if (members.changeBefore(s) > chosenUpTo) {
            return;
        }
        long change = members.lastChangeSlot();
        int count;
        if (change == chosenUpTo && change > 0 && s > change) {
            count = 0;
            for (long v : set) {
                if (members.isVoter(v) && progress.knowsChosen(v, change)) {
                    count++;
                }
            }
        } else {
            count = members.countVoters(set);
        }
        if (count < members.quorum()) {
            return;
        }
        slot.chosen = true;
        acks.remove(s);
        advanceChosen();
    }

    /** Slots waiting on {@link #checkChosen}'s rules: counted again when one of them may have changed. */
    private void recheckChosen() {
        for (long s : new ArrayList<>(acks.keySet())) {
            if (s > log.chosenUpTo()) {
                checkChosen(s);
            }
        }
    }

    /** Emits, in order, every slot now chosen right after the chosen prefix. */
    private void advanceChosen() {
        long before = log.chosenUpTo();
        boolean changed = false;
        Slot next;
        while ((next = log.advance()) != null) {
            long slot = log.chosenUpTo();
            out.committed.add(SlotLog.entry(slot, next));
            rejectIfDisplaced(slot, next.value());
            if (members.applyChosen(slot, next.value())) {
                if (!members.isVoter(id) && role != Role.FOLLOWER) {
                    stepDown(); // removed
                    leader = 0;
                    leaderCause = "removed from the membership at slot " + slot;
                }
                // Recorded at once: a voter tells the leader it knows the change chosen only in
                // messages that leave after this record is durable (see checkChosen).
                recordCommitNow = true;
                changed = true;
            }
            next.pack();
        }
        long chosenUpTo = log.chosenUpTo();
        log.learnCommit(chosenUpTo);
        if (chosenUpTo > before && role == Role.LEADER) {
            commitAdvanced = true;
            members.chosenThrough(chosenUpTo);
            releaseReadsAwaitingCommit();
            fillWindow();
            if (changed) {
                if (nextSlot == log.chosenUpTo() + 1) {
                    // The change is answered once a slot after it is chosen: make one.
                    assign(Value.getDefaultInstance());
                }
                recheckChosen();
            } else if (before == members.lastChangeSlot()) {
                // A slot after the change is chosen now, so every voter's acceptance counts
                // again (see checkChosen): acceptances that did not count a moment ago may make
                // a quorum now. Counted only on a new acceptance, they never did when none was
                // coming: a voter that accepted a slot while still catching up on the change
                // is not sent it again, and the slot waited for good with a quorum of
                // acceptances in hand (simulator seed 4263, membership and disk faults).
                recheckChosen();
            }
        }
    }

    /** A follower learns that everything through {@code commit} is chosen under leader ballot {@code b}. */
    private void learnCommit(BallotNum b, long commit) {
        log.learnCommit(commit);
        log.markChosenUnder(b);
        advanceChosen();
        if (log.chosenUpTo() < log.knownCommit() && catchUpCooldown == 0 && leader != 0) {
            catchUpCooldown = config.heartbeatTicks();
            send(leader, PeerMessage.newBuilder().setCatchUp(CatchUp.newBuilder().setFromSlot(log.chosenUpTo() + 1)));
        }
    }

    private void retransmit() {
        int sent = 0;
        for (Map.Entry<Long, Set<Long>> e : new TreeMap<>(acks).entrySet()) {
            Slot slot = log.get(e.getKey());
            if (slot == null || sent++ >= config.window()) {
                break;
            }
            SlotEntry entry = SlotLog.entry(e.getKey(), slot);
            for (long peer : members.others()) {
                if (!e.getValue().contains(peer)) {
                    send(peer, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                            .setAccept(Accept.newBuilder().addEntries(entry).setCommit(log.chosenUpTo())));
                }
            }
        }
    }

    /**
     * {@code slot} is chosen with {@code chosen}: when this node had put other proposals in it as
     * leader, they are rejected. Each proposal goes into one slot only (a successor keeps an
     * accepted value in its slot, and a duplicated forward is queued once), so one not in the
     * slot's chosen value is not applied anywhere, ever. Ids are random 64-bit numbers, so the
     * first proposal's id tells two values apart.
     */
    private void rejectIfDisplaced(long slot, Value chosen) {
        Value mine = assignedHere.remove(slot);
        if (mine == null || (chosen.getProposalsCount() > 0 && chosen.getProposals(0).getId() == mine.getProposals(0).getId())) {
            return;
        }
        for (Proposal p : mine.getProposalsList()) {
            out.rejected.add(p.getId());
        }
    }

    private void onForward(long from, Forward f) {
        if (role == Role.LEADER) {
            List<Proposal> rest = new ArrayList<>();
            ForwardReject.Builder handOver = ForwardReject.newBuilder();
            for (Proposal p : f.getProposalsList()) {
                if (members.removesSelf(p)) {
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
            // Refused, so its proposer says "not applied": but not one this node queued while it
            // led, from an earlier copy of this forward. That one may be in a slot already (the
            // simulator's network delivered a forward twice, the copy after the leader's removal,
            // and the write was answered "not applied" and applied: seed 9307, membership).
            ForwardReject.Builder r = ForwardReject.newBuilder();
            f.getProposalsList().stream().filter(p -> !seenProposals.contains(p.getId())).forEach(p -> r.addIds(p.getId()));
            if (r.getIdsCount() > 0) {
                send(from, PeerMessage.newBuilder().setForwardReject(r));
            }
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

    // ---- heartbeats, catch-up, snapshots ---------------------------------------------------

    private void broadcastHeartbeat() {
        for (long peer : members.others()) {
            sendAsLeader(peer, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                    .setHeartbeat(heartbeat()));
        }
    }

    /** A leader's heartbeat as of now: the commit, the read round, the cluster's version. */
    private Heartbeat.Builder heartbeat() {
        return Heartbeat.newBuilder().setCommit(log.chosenUpTo()).setReadSeq(reads.seq()).setClusterVersion(clusterVersion());
    }

    private void onHeartbeat(long from, BallotNum b, Heartbeat h) {
        if (b.compareTo(promised) < 0) {
            send(from, PeerMessage.newBuilder().setBallot(promised.toProto()).setNack(Nack.newBuilder().setPromised(promised.toProto())));
            return;
        }
        followLeader(from, b);
        leaderSaidVersion = h.getClusterVersion(); // absent (a leader of version 1): 0
        learnCommit(b, h.getCommit());
        if (h.getQuiet()) {
            return; // a commit notice the leader waits on no answer to (see quietNotice)
        }
        // After learning the commit: a membership change it chose is told back at once (its
        // record goes to disk before this answer leaves), and the slots after it count again.
        send(from, PeerMessage.newBuilder().setBallot(b.toProto())
                .setHeartbeatAck(HeartbeatAck.newBuilder().setReadSeq(h.getReadSeq()).setChosenUpTo(log.chosenUpTo())));
    }

    private void onHeartbeatAck(long from, BallotNum b, HeartbeatAck a) {
        if (role != Role.LEADER || !b.equals(myBallot)) {
            return;
        }
        progress.heard(from, leaderTicks);
        long before = progress.reportChosen(from, a.getChosenUpTo());
        progress.readAcked(from, a.getReadSeq());
        confirmReads();
        long change = members.lastChangeSlot();
        if (before < change && a.getChosenUpTo() >= change && change == log.chosenUpTo()) {
            recheckChosen();
        }
        maybeTellTransferTarget();
    }

    private void onCatchUp(long from, CatchUp c) {
        long fromSlot = c.getFromSlot();
        if (fromSlot <= log.snapshotSlot()) {
            out.snapshotsNeeded.add(new Ready.SnapshotNeeded(from));
            return;
        }
        List<SlotEntry> entries = log.chosenFrom(fromSlot, config.catchUpBatch(), CATCH_UP_BYTES);
        if (!entries.isEmpty()) {
            send(from, PeerMessage.newBuilder().setBallot(promised.toProto())
                    .setChosen(Chosen.newBuilder().setCommit(log.chosenUpTo()).addAllEntries(entries)));
        }
    }

    private void onChosen(long from, BallotNum b, Chosen c) {
        long before = log.chosenUpTo();
        for (SlotEntry e : c.getEntriesList()) {
            long s = e.getSlot();
            if (s <= log.chosenUpTo()) {
                continue;
            }
            Slot cur = log.get(s);
            if (cur == null || !cur.chosen) {
                log.putChosen(s, BallotNum.of(e.getBallot()), e.getValue());
                persistAccepted(s);
            }
        }
        log.learnCommit(c.getCommit());
        advanceChosen();
        if (log.chosenUpTo() > before && log.chosenUpTo() < log.knownCommit()) {
            // More to fetch: ask again at once rather than waiting for the next heartbeat. Only
            // after an answer that brought something: a heartbeat's ask made while one was on its
            // way is answered with the same slots, and asking again after each answer kept every
            // such ask alive as one more stream of answers; a new member catching up on 100,000
            // writes drew dozens of copies of each batch, and the leader, busy encoding them,
            // missed its heartbeats (elections in the benchmark's catch-up). The heartbeat's ask
            // waits a heartbeat after the last answer that brought something.
            catchUpCooldown = config.heartbeatTicks();
            send(from, PeerMessage.newBuilder().setCatchUp(CatchUp.newBuilder().setFromSlot(log.chosenUpTo() + 1)));
        }
    }

    private void onSnapshot(long from, BallotNum b, InstallSnapshot s) {
        if (s.getSlot() <= log.chosenUpTo()) {
            return;
        }
        log.installSnapshot(s.getSlot());
        // What became of proposals in the slots the snapshot covers cannot be told from it: they
        // apply with it, or their proposers time out.
        assignedHere.keySet().removeIf(slot -> slot <= s.getSlot());
        if (s.getVotersCount() > 0) {
            // The configuration as of the snapshot, here, before the slots after it apply their
            // changes on top. Taken on later, when the driver installs the snapshot, it undid
            // the changes of slots chosen meanwhile: a member restarted into a promotion kept
            // the promoted member a learner, and two voters could no longer agree on a quorum
            // (simulator seed 50132, membership and disk faults).
            members.reset(new HashSet<>(s.getVotersList()), new HashSet<>(s.getLearnersList()));
        }
        out.install = new Ready.InstallSnapshot(s.getSlot(), s.getData(), s.getVotersCount() > 0);
        out.records.add(log.commitRecord());
        advanceChosen();
        if (leader != 0) {
            send(leader, PeerMessage.newBuilder().setCatchUp(CatchUp.newBuilder().setFromSlot(log.chosenUpTo() + 1)));
        }
    }

    // ---- read index ------------------------------------------------------------------------

    /** Asks the leader for a read index for every read waiting; they arrived before this leaves. */
    private void sendReadRequest() {
        long requestId = followerReads.newRequest(leader);
        sendRequest(leader, PeerMessage.newBuilder().setReadRequest(ReadIndexRequest.newBuilder().setReadId(requestId)));
    }

    private void onReadResponse(long from, ReadIndexResponse r) {
        List<Long> answered = followerReads.answered(from, r.getReadId());
        if (answered == null) {
            return; // an answer to a request given up on: its reads rode on a later one
        }
        for (long readId : answered) {
            out.reads.add(new Ready.ReadReady(readId, r.getIndex()));
        }
        if (followerReads.anyForNext() && role != Role.LEADER && leader != 0 && leader != id) {
            sendReadRequest();
        }
    }

    /**
     * A request unanswered for an election timeout, or sent to a member no longer leader, is
     * asked again of the leader known now (all its reads arrived before the new one leaves);
     * with no leader they fail; a node that now leads serves them itself.
     */
    private void maintainFollowerReads() {
        if (followerReads.idle()) {
            return;
        }
        if (role == Role.LEADER) {
            followerReads.drop().forEach(r -> startRead(r, id));
            return;
        }
        if (followerReads.stillWaiting(config.electionTicks(), leader)) {
            return;
        }
        if (leader != 0 && leader != id) {
            sendReadRequest();
        } else {
            out.readsFailed.addAll(followerReads.drop());
        }
    }

    private void onReadRequest(long from, ReadIndexRequest r) {
        if (role == Role.LEADER) {
            startRead(r.getReadId(), from);
        }
    }

    private void startRead(long readId, long from) {
        if (log.chosenUpTo() < firstSlotOfBallot) {
            // Until a slot of this ballot is chosen, this leader's commit index may be behind.
            reads.awaitCommit(readId, from, log.chosenUpTo());
            return;
        }
        queueRead(readId, from);
    }

    private void releaseReadsAwaitingCommit() {
        if (log.chosenUpTo() < firstSlotOfBallot || !reads.anyAwaitingCommit()) {
            return;
        }
        for (LeaderReads.Read r : reads.takeAwaitingCommit()) {
            queueRead(r.readId(), r.from());
        }
    }

    /** A read waits for a heartbeat round that starts after it arrived: the next one (see {@link LeaderReads}). */
    private void queueRead(long readId, long from) {
        reads.queue(readId, from, log.chosenUpTo());
        if (members.quorum() <= 1) {
            reads.passRound();
            confirmReads();
            return;
        }
        if (!reads.roundOut()) {
            startReadRound();
        }
    }

    private void startReadRound() {
        reads.startRound();
        broadcastHeartbeat();
    }

    private void confirmReads() {
        for (LeaderReads.Read r : reads.confirm(seq -> members.isQuorum(progress.confirmedRead(seq)))) {
            if (r.from() == id) {
                out.reads.add(new Ready.ReadReady(r.readId(), r.index()));
            } else {
                send(r.from(), PeerMessage.newBuilder().setBallot(myBallot.toProto())
                        .setReadResponse(ReadIndexResponse.newBuilder().setReadId(r.readId()).setIndex(r.index())));
            }
        }
        // This round is done; reads that arrived during it go in the next.
        if (reads.finishRound() && role == Role.LEADER) {
            startReadRound();
        }
    }

    // ---- output ----------------------------------------------------------------------------

    private void persistPromise() {
        out.records.add(WalRecord.newBuilder().setPromised(promised.toProto()).build());
    }

    private void persistAccepted(long slot) {
        out.records.add(WalRecord.newBuilder().setAccepted(log.entry(slot)).build());
    }

    private void send(long to, PeerMessage.Builder m) {
        m.setFrom(id).setTo(to).setVersion(VERSION);
        out.messages.add(m.build());
    }

    /**
     * A follower's request to the leader (proposals to forward, a read index to ask for): it
     * vouches for nothing this node persists, so it leaves at once (see {@link Ready#early})
     * instead of waiting behind the fsync of whatever this node accepted just before.
     */
    private void sendRequest(long to, PeerMessage.Builder m) {
        m.setFrom(id).setTo(to).setVersion(VERSION);
        out.early.add(m.build());
    }

    /**
     * A leader's accept or heartbeat: it depends on nothing this Ready persists, only on the
     * leader's promise of its ballot, so it leaves at once (see {@link Ready#early}) when that
     * promise is known durable ({@link #earlyAccepts}), else with the records.
     */
    private void sendAsLeader(long to, PeerMessage.Builder m) {
        m.setFrom(id).setTo(to).setVersion(VERSION);
        (earlyAccepts ? out.early : out.messages).add(m.build());
    }

    private Ready flush() {
        return flush(false);
    }

    /**
     * Whether a commit notice can go unanswered. Its answer matters to this leader only when a
     * read round is out (the answer confirms it), a hand-over waits for the target to report the
     * log chosen, or a voter has not yet reported the last membership change chosen (the slots
     * after it count that voter only once it has, see checkChosen). Otherwise each notice drew
     * two answers and two wake-ups of this loop per write at one client, for nothing: the
     * periodic heartbeats, always answered, keep contact and the followers' reports current.
     */
    private boolean quietNotice() {
        if (reads.roundOut() || transferPending != 0 || members.changePending()) {
            return false;
        }
        long change = members.lastChangeSlot();
        for (long v : members.voterList()) {
            if (!progress.knowsChosen(v, change)) {
                return false;
            }
        }
        return true;
    }

    /** Hands over what this call asked for; {@code tick}: a commit not yet recorded goes now. */
    private Ready flush(boolean tick) {
        if (commitAdvanced && role == Role.LEADER) {
            // Tell followers at once, so those serving clients apply without waiting for a heartbeat.
            // Early: the commit is already a fact (durable acceptances by a quorum), whether or
            // not this leader's commit record has reached its disk.
            boolean quiet = quietNotice();
            for (long peer : members.others()) {
                sendAsLeader(peer, PeerMessage.newBuilder().setBallot(myBallot.toProto())
                        .setHeartbeat(heartbeat().setQuiet(quiet)));
            }
        }
        commitAdvanced = false;
        WalRecord commit = log.commitRecordIf(tick || recordCommitNow || !out.records.isEmpty());
        if (commit != null) {
            out.records.add(commit);
        }
        recordCommitNow = false;
        Ready r = out;
        out = new Ready();
        return r;
    }
}
