package io.cairn.node.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.proto.Peer.ConfigChange;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.State.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The core on its own, for what the simulator's fixed three- and five-voter clusters do not reach. */
class PaxosCoreTest {

    /**
     * Plays the driver with a disk that is always durable: hands the core's messages to itself
     * back to it, as many rounds as it takes; returns everything committed.
     */
    private static List<SlotEntry> durable(PaxosCore core, Ready r) {
        List<SlotEntry> committed = new ArrayList<>(r.committed);
        List<io.cairn.proto.Peer.PeerMessage> toSelf = new ArrayList<>(r.messages);
        while (!toSelf.isEmpty()) {
            io.cairn.proto.Peer.PeerMessage m = toSelf.remove(0);
            if (m.getTo() == core.id()) {
                Ready next = core.step(m);
                committed.addAll(next.committed);
                toSelf.addAll(next.messages);
            }
        }
        return committed;
    }

    /** Ticks a lone voter, its disk always durable, until it leads. */
    private static void electAlone(PaxosCore core) {
        for (int i = 0; i < 100 && !core.isLeader(); i++) {
            durable(core, core.tick());
        }
        assertThat(core.isLeader()).as("a lone voter elects itself").isTrue();
    }

    private static io.cairn.proto.Peer.PeerMessage prepareFrom(long from, long to, long round, long fromSlot) {
        return io.cairn.proto.Peer.PeerMessage.newBuilder().setFrom(from).setTo(to)
                .setBallot(new BallotNum(round, from).toProto())
                .setPrepare(io.cairn.proto.Peer.Prepare.newBuilder().setFromSlot(fromSlot)).build();
    }

    /**
     * A member that slept through changes still holds the old configuration, where the only
     * candidate left is a learner or unknown. It must still answer a candidate further along the
     * log than itself (in the configuration that candidate knows, its vote may be needed), and
     * only such a candidate (simulator seed 2746 with membership changes: voters {2, 4}, member 2
     * behind with {1, 2, 3} and 4 a learner, and no leader could be elected again).
     */
    @Test
    void aStaleMemberAnswersOnlyACandidateFurtherAlongTheLog() {
        // Member 2 knows voters {1, 2, 3}, learner 4, and the log chosen through slot 5.
        PaxosCore stale = PaxosCore.restore(new PaxosConfig(2, Set.of(1L, 2L, 3L), Set.of(4L), 10, 2, 8, 64, 64), new Random(5),
                BallotNum.ZERO, List.of(), 5, 5);
        Ready behind = stale.step(prepareFrom(4, 2, 7, 3));
        assertThat(behind.messages).as("a non-voter no further along may not recruit it").isEmpty();
        Ready ahead = stale.step(prepareFrom(4, 2, 8, 40));
        assertThat(ahead.messages).as("a candidate further along may know a newer configuration")
                .anyMatch(m -> m.getTo() == 4 && m.hasPromise());
    }

    /**
     * Only a candidate at least as far along the chosen log may recruit a voter: one behind it
     * may count its quorum in a configuration older than the one in effect (simulator seed
     * 1104513: a member behind a promotion and a removal won with the removed member, and a
     * slot got a second value).
     */
    @Test
    void aVoterPromisesOnlyToACandidateAtLeastAsFarAlong() {
        PaxosCore voter = PaxosCore.restore(new PaxosConfig(2, Set.of(1L, 2L, 3L), Set.of(), 10, 2, 8, 64, 64), new Random(5),
                BallotNum.ZERO, List.of(), 10, 10);
        assertThat(voter.step(prepareFrom(3, 2, 4, 6).toBuilder().setPrepare(io.cairn.proto.Peer.Prepare.newBuilder()
                .setFromSlot(6).setPre(true)).build()).messages).as("pre-vote of a candidate behind").isEmpty();
        assertThat(voter.step(prepareFrom(3, 2, 5, 6)).messages).as("a candidate behind").isEmpty();
        assertThat(voter.step(prepareFrom(3, 2, 6, 11)).messages).as("a candidate as far along")
                .anyMatch(m -> m.getTo() == 3 && m.hasPromise());
    }

    /**
     * A snapshot from the leader carries the configuration as of its slot, and the core takes
     * it on there, so changes chosen after the slot apply on top (simulator seed 50132: the
     * driver used to reset the configuration when it installed the snapshot, later, undoing a
     * promotion the core had already applied).
     */
    @Test
    void aSnapshotsConfigurationIsTakenOnBeforeTheChangesAfterIt() {
        PaxosCore follower = new PaxosCore(new PaxosConfig(2, Set.of(1L, 2L, 3L), Set.of(), 10, 2, 8, 64, 64), new Random(5));
        PaxosCore leader = new PaxosCore(new PaxosConfig(1, Set.of(1L, 2L, 3L), Set.of(4L), 10, 2, 8, 64, 64), new Random(6));
        io.cairn.proto.Peer.PeerMessage snap = leader.snapshotMessage(2, 5, new byte[] {1}, Set.of(1L, 2L, 3L), Set.of(4L));
        Ready installed = follower.step(snap.toBuilder().setBallot(new BallotNum(3, 1).toProto()).build());
        assertThat(installed.install.configured()).isTrue();
        assertThat(follower.learners()).containsExactly(4L);
        Proposal promote = Proposal.newBuilder().setId(1).setConfig(ConfigChange.newBuilder().setKind(ConfigChange.Kind.PROMOTE)
                .setMember(Member.newBuilder().setId(4))).build();
        follower.step(io.cairn.proto.Peer.PeerMessage.newBuilder().setFrom(1).setTo(2).setBallot(new BallotNum(3, 1).toProto())
                .setChosen(io.cairn.proto.Peer.Chosen.newBuilder().setCommit(6).addEntries(SlotEntry.newBuilder().setSlot(6)
                        .setBallot(new BallotNum(3, 1).toProto()).setValue(io.cairn.proto.Peer.Value.newBuilder().addProposals(promote))))
                .build());
        assertThat(follower.voters()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
        assertThat(follower.learners()).isEmpty();

        // A leader of an older version sends no configuration: the core keeps its own and says
        // so, and the driver gives it the membership the snapshot records.
        PaxosCore behind = new PaxosCore(new PaxosConfig(3, Set.of(1L, 2L, 3L), Set.of(), 10, 2, 8, 64, 64), new Random(7));
        io.cairn.proto.Peer.PeerMessage old = snap.toBuilder().setTo(3).setBallot(new BallotNum(3, 1).toProto())
                .setSnapshot(snap.getSnapshot().toBuilder().clearVoters().clearLearners()).build();
        assertThat(behind.step(old).install.configured()).isFalse();
        assertThat(behind.learners()).isEmpty();
    }

    @Test
    void aLeadersAcceptsLeaveEarlyOnlyWhenItsPromiseIsKnownDurable() {
        // A lone voter with a learner: its promise may not be on disk yet, so accepts wait.
        PaxosCore lone = new PaxosCore(new PaxosConfig(1, Set.of(1L), Set.of(2L), 10, 2, 8, 64, 64), new Random(3));
        electAlone(lone);
        Ready r = lone.propose(List.of(Proposal.newBuilder().setId(9).setCommand(Command.newBuilder().setSystem(true)).build()));
        assertThat(r.early).isEmpty();
        assertThat(r.messages).anyMatch(m -> m.getTo() == 2 && m.hasAccept());
        assertThat(r.committed).as("its own vote counts only once durable").isEmpty();
        assertThat(durable(lone, r)).isNotEmpty();
    }

    @Test
    void aLoneVoterKeepsTakingProposalsAfterAMembershipChange() {
        PaxosCore core = new PaxosCore(PaxosConfig.of(1, Set.of(1L)), new Random(7));
        electAlone(core);
        List<SlotEntry> chosen = new ArrayList<>();
        Proposal addLearner = Proposal.newBuilder().setId(1).setConfig(ConfigChange.newBuilder()
                .setKind(ConfigChange.Kind.ADD_LEARNER).setMember(Member.newBuilder().setId(2).setPeerAddr("127.0.0.1:1"))).build();
        chosen.addAll(durable(core, core.propose(List.of(addLearner))));
        // A lone voter chooses the change at once; the next proposal must not wait for it forever.
        Proposal write = Proposal.newBuilder().setId(2).setCommand(Command.newBuilder().setSystem(true)).build();
        chosen.addAll(durable(core, core.propose(List.of(write))));
        Proposal promote = Proposal.newBuilder().setId(3).setConfig(ConfigChange.newBuilder()
                .setKind(ConfigChange.Kind.PROMOTE).setMember(Member.newBuilder().setId(2))).build();
        chosen.addAll(durable(core, core.propose(List.of(promote))));
        List<Long> ids = chosen.stream().flatMap(e -> e.getValue().getProposalsList().stream()).map(Proposal::getId).toList();
        assertThat(ids).containsExactly(1L, 2L, 3L);
        assertThat(core.voters()).containsExactlyInAnyOrder(1L, 2L);
    }

    @Test
    void commitRecordsRideWithOtherRecordsOrGoOnTheNextTick() {
        PaxosCore core = new PaxosCore(PaxosConfig.of(1, Set.of(1L)), new Random(11));
        electAlone(core);
        durable(core, core.tick());
        Ready proposed = core.propose(List.of(Proposal.newBuilder().setId(1).setCommand(Command.newBuilder().setSystem(true)).build()));
        Ready voted = core.step(proposed.messages.get(0));
        assertThat(voted.committed).hasSize(1);
        long slot = voted.committed.get(0).getSlot();
        assertThat(voted.records).as("nothing else to write: no record of its own").noneMatch(r -> r.hasCommit());
        // The next proposal's record goes to disk anyway; the commit rides with it, after it.
        Ready next = core.propose(List.of(Proposal.newBuilder().setId(2).setCommand(Command.newBuilder().setSystem(true)).build()));
        assertThat(next.records).last().satisfies(r -> assertThat(r.getCommit()).isEqualTo(slot));
        assertThat(core.step(next.messages.get(0)).records).noneMatch(r -> r.hasCommit());
        // Alone, a commit not yet recorded goes on the next tick, once.
        assertThat(core.tick().records).anyMatch(r -> r.hasCommit() && r.getCommit() == slot + 1);
        assertThat(core.tick().records).noneMatch(r -> r.hasCommit());
    }

    /** Every message of {@code r}, held messages and early ones alike (the disk is always durable here). */
    static List<io.cairn.proto.Peer.PeerMessage> sent(Ready r) {
        List<io.cairn.proto.Peer.PeerMessage> all = new ArrayList<>(r.early);
        all.addAll(r.messages);
        return all;
    }

    /** Delivers messages among {@code cores} until none are left; collects the reads confirmed. */
    private static List<Long> deliverAll(List<PaxosCore> cores, List<io.cairn.proto.Peer.PeerMessage> in) {
        List<Long> reads = new ArrayList<>();
        java.util.ArrayDeque<io.cairn.proto.Peer.PeerMessage> q = new java.util.ArrayDeque<>(in);
        while (!q.isEmpty()) {
            io.cairn.proto.Peer.PeerMessage m = q.poll();
            Ready r = cores.get((int) m.getTo() - 1).step(m);
            r.reads.forEach(x -> reads.add(x.readId()));
            q.addAll(sent(r));
        }
        return reads;
    }

    /** Three voters, every message delivered at once, member 1 elected. */
    private static List<PaxosCore> threeLedByOne() {
        List<PaxosCore> cores = new ArrayList<>();
        for (long i = 1; i <= 3; i++) {
            cores.add(new PaxosCore(PaxosConfig.of(i, Set.of(1L, 2L, 3L)), new Random(i)));
        }
        for (int i = 0; i < 200 && !cores.get(0).isLeader(); i++) {
            deliverAll(cores, sent(cores.get(0).tick()));
        }
        return cores;
    }

    @Test
    void theClusterVersionIsTheLowestAmongTheMembersAsTheLeaderHeardThem() {
        List<PaxosCore> cores = threeLedByOne();
        PaxosCore leader = cores.get(0);
        for (int i = 0; i < 3; i++) {
            deliverAll(cores, sent(leader.tick()));
        }
        assertThat(leader.clusterVersion()).isEqualTo(PaxosCore.VERSION);
        assertThat(cores.get(1).clusterVersion()).as("a follower, from the leader's heartbeat").isEqualTo(PaxosCore.VERSION);
        // Member 3 answers as a member of version 1 would: no version in its messages.
        for (int round = 0; round < 3; round++) {
            java.util.ArrayDeque<io.cairn.proto.Peer.PeerMessage> q = new java.util.ArrayDeque<>(sent(leader.tick()));
            while (!q.isEmpty()) {
                io.cairn.proto.Peer.PeerMessage m = q.poll();
                for (io.cairn.proto.Peer.PeerMessage answer : sent(cores.get((int) m.getTo() - 1).step(m))) {
                    q.add(answer.getFrom() == 3 ? answer.toBuilder().clearVersion().build() : answer);
                }
            }
        }
        assertThat(leader.clusterVersion()).isEqualTo(1);
        assertThat(cores.get(1).clusterVersion()).isEqualTo(1);
        // A member never heard from counts as unknown (0): a fresh leader of a cluster whose others are silent.
        PaxosCore lone = new PaxosCore(new PaxosConfig(1, Set.of(1L), Set.of(2L), 10, 2, 8, 64, 64), new Random(3));
        electAlone(lone);
        assertThat(lone.clusterVersion()).as("learner 2 not heard yet").isZero();
        assertThat(new PaxosCore(PaxosConfig.of(2, Set.of(1L, 2L, 3L)), new Random(1)).clusterVersion()).as("no leader").isZero();
    }

    @Test
    void eachChangeOfLeaderSaysWhy() {
        List<PaxosCore> cores = threeLedByOne();
        PaxosCore one = cores.get(0);
        assertThat(one.leaderCause()).startsWith("won the election with ballot " + one.promised() + " (election timeout: no word from a leader for ");
        assertThat(cores.get(1).leaderCause()).isEqualTo("heard from member 1 leading with ballot " + one.promised());
        // The leader hands over: the target stands at once and wins; the others learn of it from the new leader.
        Ready handOver = one.transferLeadership();
        long target = one.transferTarget();
        deliverAll(cores, sent(handOver));
        for (int i = 0; i < 50 && !cores.get((int) target - 1).isLeader(); i++) {
            for (PaxosCore c : cores) {
                deliverAll(cores, sent(c.tick()));
            }
        }
        PaxosCore next = cores.get((int) target - 1);
        assertThat(next.isLeader()).isTrue();
        assertThat(next.leaderCause()).isEqualTo("won the election with ballot " + next.promised()
                + " (hand-over: the leader asked this member to take over)");
        for (int i = 0; i < 50 && one.leader() != target; i++) {
            deliverAll(cores, sent(next.tick()));
        }
        assertThat(one.leaderCause()).isIn("heard from member " + target + " leading with ballot " + next.promised(),
                "higher ballot seen: member " + target + " stands for election with ballot " + next.promised());
    }

    @Test
    void readsThatArriveWhileARoundIsOutWaitForTheNextRound() {
        List<PaxosCore> cores = threeLedByOne();
        PaxosCore leader = cores.get(0);
        assertThat(leader.isLeader()).isTrue();
        Ready first = leader.readIndex(100);
        List<io.cairn.proto.Peer.PeerMessage> round1 = sent(first);
        assertThat(round1).filteredOn(io.cairn.proto.Peer.PeerMessage::hasHeartbeat).hasSize(2);
        // A read while that round is out starts no round of its own.
        Ready second = leader.readIndex(101);
        assertThat(sent(second)).noneMatch(io.cairn.proto.Peer.PeerMessage::hasHeartbeat);
        // Round 1 answers read 100 only: read 101 arrived after its heartbeats left, so they
        // cannot vouch that this node still led when 101 arrived. Round 2 starts and answers it.
        List<Long> confirmed = deliverAll(cores, round1);
        assertThat(confirmed).containsExactly(100L, 101L);
        // (deliverAll also carried round 2; check the order of events on a fresh pair of reads.)
        Ready third = leader.readIndex(102);
        Ready fourth = leader.readIndex(103);
        List<io.cairn.proto.Peer.PeerMessage> round3 = sent(third);
        assertThat(sent(fourth)).noneMatch(io.cairn.proto.Peer.PeerMessage::hasHeartbeat);
        // Only the acks of round 3, nothing further delivered: 102 confirmed, 103 not yet.
        List<Long> afterRound3 = new ArrayList<>();
        List<io.cairn.proto.Peer.PeerMessage> next = new ArrayList<>();
        for (io.cairn.proto.Peer.PeerMessage hb : round3) {
            for (io.cairn.proto.Peer.PeerMessage ack : sent(cores.get((int) hb.getTo() - 1).step(hb))) {
                Ready r = leader.step(ack);
                r.reads.forEach(x -> afterRound3.add(x.readId()));
                next.addAll(sent(r));
            }
        }
        assertThat(afterRound3).containsExactly(102L);
        assertThat(next).filteredOn(io.cairn.proto.Peer.PeerMessage::hasHeartbeat).as("round 4, for read 103").isNotEmpty();
        assertThat(deliverAll(cores, next)).containsExactly(103L);
    }

    @Test
    void aFollowersReadsShareARequestOnlyIfTheyArrivedBeforeItLeft() {
        List<PaxosCore> cores = threeLedByOne();
        PaxosCore leader = cores.get(0);
        PaxosCore follower = cores.get(1);
        deliverAll(cores, sent(leader.tick())); // a heartbeat: the follower knows its leader
        assertThat(follower.leader()).isEqualTo(1L);
        List<io.cairn.proto.Peer.PeerMessage> first = sent(follower.readIndex(200));
        assertThat(first).filteredOn(io.cairn.proto.Peer.PeerMessage::hasReadRequest).hasSize(1);
        assertThat(sent(follower.readIndex(201))).as("201 waits for the next request").noneMatch(io.cairn.proto.Peer.PeerMessage::hasReadRequest);
        // Run the leader's round; hold the answer on its way to the follower.
        List<io.cairn.proto.Peer.PeerMessage> answers = new ArrayList<>();
        java.util.ArrayDeque<io.cairn.proto.Peer.PeerMessage> q = new java.util.ArrayDeque<>(first);
        while (!q.isEmpty()) {
            io.cairn.proto.Peer.PeerMessage m = q.poll();
            if (m.getTo() == 2 && m.hasReadResponse()) {
                answers.add(m);
                continue;
            }
            q.addAll(sent(cores.get((int) m.getTo() - 1).step(m)));
        }
        assertThat(answers).hasSize(1);
        Ready r = follower.step(answers.get(0));
        assertThat(r.reads).extracting(Ready.ReadReady::readId).containsExactly(200L);
        List<io.cairn.proto.Peer.PeerMessage> second = sent(r);
        assertThat(second).filteredOn(io.cairn.proto.Peer.PeerMessage::hasReadRequest).as("the next request, for 201").hasSize(1);
        assertThat(follower.step(answers.get(0)).reads).as("the old answer again counts for nothing").isEmpty();
        assertThat(deliverAll(cores, second)).containsExactly(201L);
    }

    private static io.cairn.proto.Peer.Value bigWrite(int bytes, int n) {
        io.cairn.proto.State.Op set = io.cairn.proto.State.Op.newBuilder().setKind(io.cairn.proto.State.Op.Kind.SET)
                .setPath("/k" + n).setValue(com.google.protobuf.ByteString.copyFrom(new byte[bytes])).build();
        return io.cairn.proto.Peer.Value.newBuilder().addProposals(Proposal.newBuilder().setId(n)
                .setCommand(Command.newBuilder().setTxn(io.cairn.proto.State.Txn.newBuilder().addSuccess(set)))).build();
    }

    private static List<io.cairn.proto.Peer.PeerMessage> catchUps(Ready r) {
        return r.messages.stream().filter(io.cairn.proto.Peer.PeerMessage::hasCatchUp).toList();
    }

    /**
     * A member behind asks again at once only after an answer that brought it something. An ask
     * a heartbeat made while an answer was on its way is answered with the same slots; asking
     * again after that duplicate too kept each such ask alive as one more stream of answers, and
     * a new member catching up on 100,000 writes drew dozens of copies of each batch from a
     * leader that, busy encoding them, missed its heartbeats (the benchmark's data-set curve).
     */
    @Test
    void aMemberBehindAsksAgainOnlyAfterAnAnswerThatBroughtSomething() {
        PaxosCore follower = new PaxosCore(new PaxosConfig(2, Set.of(1L, 2L, 3L), Set.of(), 10, 2, 8, 64, 64), new Random(5));
        io.cairn.proto.Peer.Ballot ballot = new BallotNum(3, 1).toProto();
        Ready told = follower.step(io.cairn.proto.Peer.PeerMessage.newBuilder().setFrom(1).setTo(2).setBallot(ballot)
                .setHeartbeat(io.cairn.proto.Peer.Heartbeat.newBuilder().setCommit(4)).build());
        assertThat(catchUps(told)).singleElement().satisfies(m -> assertThat(m.getCatchUp().getFromSlot()).isEqualTo(1));
        io.cairn.proto.Peer.Chosen.Builder firstTwo = io.cairn.proto.Peer.Chosen.newBuilder().setCommit(4);
        for (int s = 1; s <= 2; s++) {
            firstTwo.addEntries(SlotEntry.newBuilder().setSlot(s).setBallot(ballot).setValue(bigWrite(10, s)));
        }
        io.cairn.proto.Peer.PeerMessage answer = io.cairn.proto.Peer.PeerMessage.newBuilder().setFrom(1).setTo(2)
                .setBallot(ballot).setChosen(firstTwo).build();
        assertThat(catchUps(follower.step(answer))).as("an answer that brought slots 1-2")
                .singleElement().satisfies(m -> assertThat(m.getCatchUp().getFromSlot()).isEqualTo(3));
        assertThat(catchUps(follower.step(answer))).as("the same answer again, to an earlier ask").isEmpty();
        // The leader's heartbeats go on; the member asks through them again a heartbeat after the last progress.
        int asked = 0;
        for (int t = 0; t < 4; t++) {
            follower.tick();
            asked += catchUps(follower.step(io.cairn.proto.Peer.PeerMessage.newBuilder().setFrom(1).setTo(2).setBallot(ballot)
                    .setHeartbeat(io.cairn.proto.Peer.Heartbeat.newBuilder().setCommit(4)).build())).size();
        }
        assertThat(asked).as("asks made through heartbeats over two heartbeat intervals").isBetween(1, 2);
    }

    /** A catch-up answer is cut by bytes as well as slots: 60 MB in one message held up a leader's loop. */
    @Test
    void aCatchUpAnswerCarriesAboutCatchUpBytesOfValues() {
        PaxosCore lone = new PaxosCore(new PaxosConfig(1, Set.of(1L), Set.of(2L), 10, 2, 8, 64, 64), new Random(3));
        electAlone(lone);
        int value = 1 << 20;
        for (int n = 1; n <= 12; n++) {
            durable(lone, lone.propose(bigWrite(value, n).getProposalsList()));
        }
        Ready answer = lone.step(io.cairn.proto.Peer.PeerMessage.newBuilder().setFrom(2).setTo(1)
                .setCatchUp(io.cairn.proto.Peer.CatchUp.newBuilder().setFromSlot(1)).build());
        io.cairn.proto.Peer.Chosen chosen = answer.messages.stream().filter(io.cairn.proto.Peer.PeerMessage::hasChosen)
                .findFirst().orElseThrow().getChosen();
        long bytes = chosen.getEntriesList().stream().mapToLong(e -> e.getValue().getSerializedSize()).sum();
        assertThat(bytes).isGreaterThanOrEqualTo(PaxosCore.CATCH_UP_BYTES).isLessThan(PaxosCore.CATCH_UP_BYTES + 2L * value);
        assertThat(chosen.getEntries(0).getSlot()).isEqualTo(1);
        assertThat(chosen.getCommit()).isGreaterThan(chosen.getEntries(chosen.getEntriesCount() - 1).getSlot());
    }
}
