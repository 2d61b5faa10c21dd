package io.cairn.node.paxos;

import io.cairn.proto.Peer.Ballot;

/** A Paxos ballot: (round, node), ordered by round then node, so two nodes never share one. */
public record BallotNum(long round, long node) implements Comparable<BallotNum> {
    public static final BallotNum ZERO = new BallotNum(0, 0);

    @Override
    public int compareTo(BallotNum o) {
        int c = Long.compare(round, o.round);
        return c != 0 ? c : Long.compare(node, o.node);
    }

    public boolean greaterThan(BallotNum o) {
        return compareTo(o) > 0;
    }

    public boolean atLeast(BallotNum o) {
        return compareTo(o) >= 0;
    }

    public Ballot toProto() {
        return Ballot.newBuilder().setRound(round).setNode(node).build();
    }

    public static BallotNum of(Ballot b) {
        return new BallotNum(b.getRound(), b.getNode());
    }

    @Override
    public String toString() {
        return round + "." + node;
    }
}
