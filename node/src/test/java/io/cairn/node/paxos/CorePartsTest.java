package io.cairn.node.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.proto.Peer.ConfigChange;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.Value;
import io.cairn.proto.State.Command;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The parts the core is cut into, each on its own: the log, the configuration, progress, reads. */
class CorePartsTest {
    private static final BallotNum B1 = new BallotNum(1, 1);
    private static final BallotNum B2 = new BallotNum(2, 2);

    private static Value write(String path) {
        return Value.newBuilder().addProposals(Proposal.newBuilder().setId(path.hashCode())
                .setCommand(Command.getDefaultInstance())).build();
    }

    private static Value change(ConfigChange.Kind kind, long member) {
        return Value.newBuilder().addProposals(Proposal.newBuilder().setId(member)
                .setConfig(ConfigChange.newBuilder().setKind(kind).setMember(Member.newBuilder().setId(member)))).build();
    }

    // ---- SlotLog -------------------------------------------------------------------------

    @Test
    void theChosenPrefixGrowsOnlyOverSlotsKnownChosenWithoutGaps() {
        SlotLog log = new SlotLog();
        log.accept(1, B1, write("/a"));
        log.accept(3, B1, write("/c"));
        log.learnCommit(3);
        log.markChosenUnder(B1);
        assertThat(log.advance()).isNotNull();
        assertThat(log.advance()).as("slot 2 is missing: the prefix stops before it").isNull();
        assertThat(log.chosenUpTo()).isEqualTo(1);
        assertThat(log.get(3).chosen).as("marking stops at the gap too").isFalse();
    }

    @Test
    void aCommitMarksOnlyEntriesAcceptedUnderTheBallotThatSaysSo() {
        SlotLog log = new SlotLog();
        log.accept(1, B1, write("/a"));
        log.accept(2, B1, write("/b"));
        log.learnCommit(2);
        log.markChosenUnder(B2);
        assertThat(log.advance()).as("accepted under another ballot: maybe not the value chosen").isNull();
        log.markChosenUnder(B1);
        assertThat(log.advance()).isNotNull();
        assertThat(log.advance()).isNotNull();
        assertThat(log.chosenUpTo()).isEqualTo(2);
    }

    @Test
    void compactingForgetsTheChosenPrefixButNeverPastIt() {
        SlotLog log = new SlotLog();
        for (long s = 1; s <= 4; s++) {
            log.accept(s, B1, write("/k" + s));
        }
        log.learnCommit(3);
        log.markChosenUnder(B1);
        while (log.advance() != null) { }
        assertThat(log.compact(4)).as("slot 4 is not chosen").isFalse();
        assertThat(log.compact(2)).isTrue();
        assertThat(log.compact(2)).as("not twice").isFalse();
        assertThat(log.snapshotSlot()).isEqualTo(2);
        assertThat(log.get(2)).isNull();
        assertThat(log.chosenAfter(0)).extracting(SlotEntry::getSlot).containsExactly(3L);
        assertThat(log.entriesFrom(3)).extracting(SlotEntry::getSlot).containsExactly(3L, 4L);
    }

    @Test
    void aCommitRecordIsDueOnlyForWhatIsChosenPastTheLastOne() {
        SlotLog log = new SlotLog();
        log.accept(1, B1, write("/a"));
        log.learnCommit(1);
        log.markChosenUnder(B1);
        log.advance();
        assertThat(log.commitRecordIf(false)).isNull();
        assertThat(log.commitRecordIf(true).getCommit()).isEqualTo(1);
        assertThat(log.commitRecordIf(true)).as("already recorded").isNull();
    }

    @Test
    void aRestoredLogHoldsEntriesThroughItsCommitChosenAndTheRestAccepted() {
        List<SlotEntry> accepted = List.of(
                SlotEntry.newBuilder().setSlot(5).setBallot(B1.toProto()).setValue(write("/old")).build(),
                SlotEntry.newBuilder().setSlot(6).setBallot(B1.toProto()).setValue(write("/a")).build(),
                SlotEntry.newBuilder().setSlot(7).setBallot(B1.toProto()).setValue(write("/b")).build());
        SlotLog log = SlotLog.restore(accepted, 5, 6);
        assertThat(log.get(5)).as("covered by the snapshot").isNull();
        assertThat(log.advance()).isNotNull();
        assertThat(log.advance()).isNull();
        assertThat(log.chosenUpTo()).isEqualTo(6);
        assertThat(log.get(7).chosen).isFalse();
    }

    // ---- Configuration -------------------------------------------------------------------

    @Test
    void changesMoveMembersBetweenLearnersAndVotersAndTheQuorumFollows() {
        Configuration c = new Configuration(1, Set.of(1L, 2L, 3L), Set.of());
        assertThat(c.quorum()).isEqualTo(2);
        assertThat(c.applyChosen(4, change(ConfigChange.Kind.ADD_LEARNER, 4))).isTrue();
        assertThat(c.learners()).containsExactly(4L);
        assertThat(c.quorum()).as("a learner does not vote").isEqualTo(2);
        assertThat(c.isQuorum(List.of(1L, 4L))).isFalse();
        c.applyChosen(5, change(ConfigChange.Kind.PROMOTE, 4));
        assertThat(c.voters()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
        assertThat(c.quorum()).isEqualTo(3);
        c.applyChosen(6, change(ConfigChange.Kind.REMOVE, 2));
        assertThat(c.voters()).containsExactlyInAnyOrder(1L, 3L, 4L);
        assertThat(c.lastChangeSlot()).isEqualTo(6);
        assertThat(c.others()).containsExactly(3L, 4L);
        assertThat(c.applyChosen(7, write("/a"))).as("no change in it").isFalse();
        assertThat(c.lastChangeSlot()).isEqualTo(6);
    }

    @Test
    void addingAVoterAgainAsLearnerChangesNothing() {
        Configuration c = new Configuration(1, Set.of(1L, 2L, 3L), Set.of());
        c.applyChosen(2, change(ConfigChange.Kind.ADD_LEARNER, 3));
        assertThat(c.learners()).isEmpty();
        assertThat(c.voters()).contains(3L);
    }

    @Test
    void aChangeInFlightHoldsBackProposalsUntilItsSlotIsChosen() {
        Configuration c = new Configuration(1, Set.of(1L, 2L, 3L), Set.of());
        c.proposed(8, true);
        assertThat(c.changePending()).isTrue();
        assertThat(c.changeBefore(9)).isEqualTo(8);
        assertThat(c.changeBefore(8)).isZero();
        c.chosenThrough(7);
        assertThat(c.changePending()).isTrue();
        c.applyChosen(8, change(ConfigChange.Kind.REMOVE, 3));
        c.chosenThrough(8);
        assertThat(c.changePending()).isFalse();
        assertThat(c.changeBefore(9)).as("chosen: no longer in flight").isZero();
    }

    @Test
    void onlyTheRemovalOfItselfWithAnotherVoterLeftCountsAsRemovingSelf() {
        Configuration three = new Configuration(1, Set.of(1L, 2L, 3L), Set.of());
        assertThat(three.removesSelf(change(ConfigChange.Kind.REMOVE, 1).getProposals(0))).isTrue();
        assertThat(three.removesSelf(change(ConfigChange.Kind.REMOVE, 2).getProposals(0))).isFalse();
        Configuration alone = new Configuration(1, Set.of(1L), Set.of());
        assertThat(alone.removesSelf(change(ConfigChange.Kind.REMOVE, 1).getProposals(0))).isFalse();
    }

    // ---- Progress ------------------------------------------------------------------------

    @Test
    void progressStartsFromThePromisesAndCountsItselfAlwaysInformed() {
        Progress p = new Progress(1);
        p.startLeading(Map.of(1L, 3L, 2L, 9L, 3L, 4L));
        assertThat(p.knowsChosen(1, 100)).as("itself").isTrue();
        assertThat(p.knowsChosen(2, 9)).isTrue();
        assertThat(p.knowsChosen(3, 9)).isFalse();
        assertThat(p.mostCaughtUp(List.of(1L, 2L, 3L))).isEqualTo(2);
        assertThat(p.reportChosen(3, 10)).isEqualTo(4);
        assertThat(p.mostCaughtUp(List.of(1L, 2L, 3L))).isEqualTo(3);
        assertThat(p.knowsChosen(4, 0)).as("never heard").isFalse();
    }

    @Test
    void contactIsCountedWithinTheWindowOnly() {
        Progress p = new Progress(1);
        p.startLeading(Map.of());
        p.heard(2, 10);
        p.heard(3, 2);
        assertThat(p.heardWithin(12, 5)).containsExactlyInAnyOrder(1L, 2L);
        p.readAcked(2, 4);
        p.readAcked(2, 3);
        assertThat(p.confirmedRead(4)).containsExactlyInAnyOrder(1L, 2L);
        assertThat(p.confirmedRead(5)).containsExactly(1L);
    }

    // ---- reads ---------------------------------------------------------------------------

    @Test
    void readsArrivingWhileARoundIsOutWaitForTheNextRound() {
        LeaderReads r = new LeaderReads();
        r.queue(100, 1, 7);
        long first = r.startRound();
        r.queue(101, 1, 8);
        assertThat(r.confirm(seq -> seq <= first)).extracting(LeaderReads.Read::readId).containsExactly(100L);
        assertThat(r.finishRound()).as("read 101 waits: start the next round").isTrue();
        long second = r.startRound();
        assertThat(second).isEqualTo(first + 1);
        assertThat(r.confirm(seq -> seq <= second)).extracting(LeaderReads.Read::index).containsExactly(8L);
        assertThat(r.finishRound()).isFalse();
        assertThat(r.roundOut()).isFalse();
    }

    @Test
    void losingLeadershipHandsBackEveryReadWaiting() {
        LeaderReads r = new LeaderReads();
        r.awaitCommit(1, 1, 0);
        r.queue(2, 3, 5);
        r.startRound();
        assertThat(r.drain()).extracting(LeaderReads.Read::readId).containsExactly(2L, 1L);
        assertThat(r.roundOut()).isFalse();
        assertThat(r.anyAwaitingCommit()).isFalse();
    }

    @Test
    void aFollowerMatchesAResponseOnlyToTheRequestOutAndTheLeaderItWentTo() {
        FollowerReads f = new FollowerReads(new Random(1));
        f.add(10);
        long req = f.newRequest(2);
        f.add(11);
        assertThat(f.answered(3, req)).as("from another member").isNull();
        assertThat(f.answered(2, req + 1)).as("another request").isNull();
        assertThat(f.answered(2, req)).containsExactly(10L);
        assertThat(f.requestOut()).isFalse();
        assertThat(f.anyForNext()).isTrue();
        long next = f.newRequest(2);
        assertThat(f.stillWaiting(3, 2)).isTrue();
        assertThat(f.stillWaiting(3, 5)).as("the leader changed").isFalse();
        assertThat(f.stillWaiting(3, 2)).as("too old").isFalse();
        assertThat(f.drop()).containsExactly(11L);
        assertThat(f.answered(2, next)).as("given up on").isNull();
    }
}
