package io.cairn.node.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.proto.Peer.InstallSnapshot;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.SnapshotAck;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.State.Snapshot;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A snapshot sent in pieces, a window at a time, gathered in order, taken whole with its configuration. */
class SnapshotStreamsTest {
    private static final long STALLED_MS = 3_000;

    /** Messages between two members' streams, delivered when the test says. */
    private static final class Wire implements SnapshotStreams.Send {
        final ArrayDeque<InstallSnapshot> pieces = new ArrayDeque<>();
        final ArrayDeque<SnapshotAck> acks = new ArrayDeque<>();

        @Override
        public void piece(long to, InstallSnapshot piece) {
            pieces.add(piece);
        }

        @Override
        public void ack(long to, SnapshotAck ack) {
            acks.add(ack);
        }
    }

    /** An encoded snapshot of about {@code bytes} bytes at {@code slot}: voters 1 and 2, learner 3. */
    private static ByteString snapshot(long slot, int bytes) {
        byte[] filler = new byte[bytes];
        new Random(slot).nextBytes(filler);
        // The filler rides in a field SnapshotFile does not have: the streams never parse past
        // the members, and skipping it is what they do with the tree.
        Snapshot tree = Snapshot.newBuilder().setRev(slot).build();
        SnapshotFile f = SnapshotFile.newBuilder().setSlot(slot).setTree(tree)
                .addMembers(Member.newBuilder().setId(1)).addMembers(Member.newBuilder().setId(2))
                .addMembers(Member.newBuilder().setId(3).setLearner(true)).build();
        return f.toByteString().concat(unknownField(filler));
    }

    /** Field 1000, length-delimited: a field SnapshotFile does not have, holding {@code data}. */
    private static ByteString unknownField(byte[] data) {
        ByteString.Output out = ByteString.newOutput();
        try {
            com.google.protobuf.CodedOutputStream c = com.google.protobuf.CodedOutputStream.newInstance(out);
            c.writeByteArray(1000, data);
            c.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteString();
    }

    @Test
    void aSnapshotGoesInPiecesAWindowAtATimeAndArrivesWholeWithItsConfiguration() throws Exception {
        ByteString snap = snapshot(40, SnapshotStreams.PIECE * 6 + 12345);
        Wire toFollower = new Wire();
        Wire toLeader = new Wire();
        SnapshotStreams leader = new SnapshotStreams(1, STALLED_MS, toFollower);
        SnapshotStreams follower = new SnapshotStreams(2, STALLED_MS, toLeader);

        leader.start(2, 40, snap.asReadOnlyByteBuffer(), 0);
        assertThat(toFollower.pieces).as("a window's worth before any acknowledgement").hasSize(SnapshotStreams.WINDOW);
        assertThat(leader.sending(2, 1_000)).isTrue();

        InstallSnapshot whole = null;
        int pieces = 0;
        while (whole == null) {
            assertThat(toFollower.pieces).as("pieces keep coming while acknowledged").isNotEmpty();
            InstallSnapshot p = toFollower.pieces.poll();
            pieces++;
            assertThat(p.getData().size()).isLessThanOrEqualTo(SnapshotStreams.PIECE);
            whole = follower.gather(1, p, 2_000);
            leader.acked(2, toLeader.acks.poll(), 2_000);
        }
        assertThat(pieces).isEqualTo(7);
        assertThat(whole.getSlot()).isEqualTo(40);
        assertThat(whole.getData()).isEqualTo(snap);
        assertThat(whole.getVotersList()).containsExactlyInAnyOrder(1L, 2L);
        assertThat(whole.getLearnersList()).containsExactly(3L);
        assertThat(toFollower.pieces).isEmpty();
        assertThat(leader.sending(2, 2_000)).as("done once the last piece is acknowledged").isFalse();
    }

    @Test
    void anAskWhileTheStreamMovesChangesNothingAndAStalledStreamStartsOver() {
        ByteString snap = snapshot(7, SnapshotStreams.PIECE * 2);
        Wire wire = new Wire();
        SnapshotStreams leader = new SnapshotStreams(1, STALLED_MS, wire);
        leader.start(2, 7, snap.asReadOnlyByteBuffer(), 0);
        leader.acked(2, SnapshotAck.newBuilder().setSlot(7).setReceived(SnapshotStreams.PIECE).build(), 5_000);
        assertThat(leader.sending(2, 5_000 + STALLED_MS - 1)).isTrue();
        assertThat(leader.sending(2, 5_000 + STALLED_MS)).as("no acknowledgement for STALLED_MS").isFalse();
        leader.acked(2, SnapshotAck.newBuilder().setSlot(6).setReceived(SnapshotStreams.PIECE * 2L).build(), 6_000);
        assertThat(leader.sending(2, 6_000)).as("an acknowledgement of another snapshot is not ours").isTrue();
        leader.stopSending();
        assertThat(leader.sending(2, 6_000)).as("a member that stops leading stops sending").isFalse();
    }

    @Test
    void piecesOutOfOrderAreNotTakenAndAStreamStartedOverIsGatheredAfresh() throws Exception {
        ByteString snap = snapshot(9, SnapshotStreams.PIECE * 2 + 10);
        List<InstallSnapshot> sent = new ArrayList<>();
        Wire wire = new Wire();
        SnapshotStreams leader = new SnapshotStreams(1, STALLED_MS, wire);
        leader.start(2, 9, snap.asReadOnlyByteBuffer(), 0);
        sent.addAll(wire.pieces);
        assertThat(sent).hasSize(3);

        Wire back = new Wire();
        SnapshotStreams follower = new SnapshotStreams(2, STALLED_MS, back);
        assertThat(follower.gather(1, sent.get(0), 0)).isNull();
        assertThat(follower.gather(1, sent.get(2), 0)).as("the second piece was lost").isNull();
        assertThat(back.acks).extracting(SnapshotAck::getReceived).containsExactly((long) SnapshotStreams.PIECE,
                (long) SnapshotStreams.PIECE);
        assertThat(follower.gather(3, sent.get(1), 0)).as("a piece from another member's stream").isNull();
        // Started over (a stalled stream, a new leader): gathered from its first piece again.
        assertThat(follower.gather(1, sent.get(0), 0)).isNull();
        assertThat(follower.gather(1, sent.get(1), 0)).isNull();
        InstallSnapshot whole = follower.gather(1, sent.get(2), 0);
        assertThat(whole).isNotNull();
        assertThat(whole.getData()).isEqualTo(snap);
    }

    @Test
    void streamsStalledForTheLimitAreLetGoOnBothSides() {
        ByteString snap = snapshot(5, SnapshotStreams.PIECE * 3);
        Wire toFollower = new Wire();
        SnapshotStreams leader = new SnapshotStreams(1, STALLED_MS, toFollower);
        SnapshotStreams follower = new SnapshotStreams(2, STALLED_MS, new Wire());
        leader.start(2, 5, snap.asReadOnlyByteBuffer(), 0);
        leader.start(3, 5, snap.asReadOnlyByteBuffer(), 0);
        assertThat(follower.gather(1, toFollower.pieces.poll(), 10)).isNull();
        leader.acked(2, SnapshotAck.newBuilder().setSlot(5).setReceived(SnapshotStreams.PIECE).build(), 10);
        assertThat(leader.streams()).isEqualTo(2);
        assertThat(follower.streams()).isEqualTo(1);

        // At the first piece, both sides allow for the receiver's allocating its array: the
        // leader for member 3, which acknowledged nothing, and the follower, which has one piece.
        long first = STALLED_MS + snap.size() / SnapshotStreams.ALLOCATION_BYTES_PER_MS;
        assertThat(first).isGreaterThan(10 + STALLED_MS);
        leader.expire(10 + STALLED_MS - 1);
        follower.expire(10 + first - 1);
        assertThat(leader.streams()).as("both moved within the limit").isEqualTo(2);
        assertThat(follower.streams()).isEqualTo(1);

        leader.expire(10 + STALLED_MS);
        assertThat(leader.streams()).as("member 2 acknowledged its first piece, member 3 has its allowance").isEqualTo(1);
        assertThat(leader.sending(3, 10 + STALLED_MS)).isTrue();
        leader.expire(first);
        assertThat(leader.streams()).as("member 3 never acknowledged a piece").isZero();
        follower.expire(10 + first);
        assertThat(follower.streams()).as("no piece since the first: the gathered bytes are let go").isZero();

        // The next ask starts over, and the follower gathers from the first piece again.
        toFollower.pieces.clear();
        leader.start(2, 5, snap.asReadOnlyByteBuffer(), 10_000);
        assertThat(follower.gather(1, toFollower.pieces.poll(), 10_000)).isNull();
        assertThat(follower.streams()).isEqualTo(1);
    }

    @Test
    void pastTheFirstPieceTheStallLimitIsTheElectionBound() {
        ByteString snap = snapshot(5, SnapshotStreams.PIECE * 3);
        Wire toFollower = new Wire();
        SnapshotStreams follower = new SnapshotStreams(2, STALLED_MS, new Wire());
        new SnapshotStreams(1, STALLED_MS, toFollower).start(2, 5, snap.asReadOnlyByteBuffer(), 0);
        for (int i = 0; i < 2; i++) {
            follower.gather(1, toFollower.pieces.poll(), 1_000);
        }
        follower.expire(1_000 + STALLED_MS - 1);
        assertThat(follower.streams()).isEqualTo(1);
        follower.expire(1_000 + STALLED_MS);
        assertThat(follower.streams()).as("two pieces in: no allowance for an allocation").isZero();
    }

    @Test
    void theAllowanceForTheFirstPieceGrowsWithTheSnapshot() {
        SnapshotStreams s = new SnapshotStreams(1, STALLED_MS, new Wire());
        long gib = 1L << 30;
        assertThat(s.limitMs(gib, true)).isEqualTo(STALLED_MS + gib / SnapshotStreams.ALLOCATION_BYTES_PER_MS);
        assertThat(s.limitMs(gib, false)).isEqualTo(STALLED_MS);
        assertThat(s.limitMs(4096, true)).as("a small snapshot: the election bound").isEqualTo(STALLED_MS);
    }

    @Test
    void theMembersAreReadPastTheTreeWithoutParsingIt() throws Exception {
        ByteString snap = snapshot(3, 1000);
        assertThat(SnapshotStreams.membersOf(snap)).extracting(Member::getId).containsExactly(1L, 2L, 3L);
    }
}
