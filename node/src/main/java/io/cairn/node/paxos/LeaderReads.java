package io.cairn.node.paxos;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * A leader's linearizable reads waiting to be confirmed (etcd-io/raft's read-only queue). A read
 * is served at the commit index it arrived at, once a quorum has answered a heartbeat round that
 * started after it arrived: then no other leader can have chosen anything past that index. While
 * a round is out, reads that arrive join the next one, so a burst of reads costs one round per
 * round trip instead of one each (etcd batches its read index the same way).
 */
final class LeaderReads {
    /** A read asked of member {@code from} (this one or a follower), at {@code index}, for round {@code seq}. */
    record Read(long readId, long from, long index, long seq) {}

    private long seq;
    /** A round is out (reads with seq at most {@link #seq} wait for it); later reads join the next one. */
    private boolean roundOut;
    private final List<Read> waiting = new ArrayList<>();
    /** Reads that arrived before this leader chose a slot of its own ballot: its commit index may be behind. */
    private final List<Read> awaitingCommit = new ArrayList<>();

    /** The round the latest heartbeat carries. */
    long seq() {
        return seq;
    }

    void awaitCommit(long readId, long from, long index) {
        awaitingCommit.add(new Read(readId, from, index, 0));
    }

    boolean anyAwaitingCommit() {
        return !awaitingCommit.isEmpty();
    }

    /** The reads that waited for this leader's first commit, no longer waiting for it. */
    List<Read> takeAwaitingCommit() {
        List<Read> ready = new ArrayList<>(awaitingCommit);
        awaitingCommit.clear();
        return ready;
    }

    /** Queues a read for the next round. */
    void queue(long readId, long from, long index) {
        waiting.add(new Read(readId, from, index, seq + 1));
    }

    boolean roundOut() {
        return roundOut;
    }

    /** Starts the next round: gives its number, for the heartbeat that carries it. */
    long startRound() {
        seq++;
        roundOut = true;
        return seq;
    }

    /** A lone voter confirms its own rounds: the next one is done as soon as it starts. */
    void passRound() {
        seq++;
    }

    /** Takes out every read whose round {@code confirmed} says a quorum answered, oldest first. */
    List<Read> confirm(LongPredicate confirmed) {
        List<Read> done = new ArrayList<>();
        Iterator<Read> it = waiting.iterator();
        while (it.hasNext()) {
            Read r = it.next();
            if (confirmed.test(r.seq())) {
                it.remove();
                done.add(r);
            }
        }
        return done;
    }

    /**
     * Ends the round out once every read it carried is confirmed; gives whether reads wait for
     * the next one, which the caller then starts.
     */
    boolean finishRound() {
        if (roundOut && waiting.stream().noneMatch(r -> r.seq() <= seq)) {
            roundOut = false;
            return !waiting.isEmpty();
        }
        return false;
    }

    /** A new leadership: no round of this node's is out. */
    void startLeading() {
        roundOut = false;
    }

    /** Leadership lost: every read waiting, to be failed. */
    List<Read> drain() {
        List<Read> all = new ArrayList<>(waiting);
        all.addAll(awaitingCommit);
        waiting.clear();
        awaitingCommit.clear();
        roundOut = false;
        return all;
    }
}
