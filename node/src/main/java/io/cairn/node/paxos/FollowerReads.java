package io.cairn.node.paxos;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A follower's linearizable reads, asked of the leader in batches: one request out at a time;
 * the reads that arrived before it left ride on it, later ones wait for the next.
 */
final class FollowerReads {
    private long requestSeq;
    /** The request out (0: none), whom it went to, and for how many ticks. */
    private long out;
    private long to;
    private int age;
    private final List<Long> onRequest = new ArrayList<>();
    private final List<Long> forNext = new ArrayList<>();

    FollowerReads(Random random) {
        // Request ids start at random: a response to a request sent before a restart must not
        // match one sent after it.
        this.requestSeq = random.nextLong() >>> 1;
    }

    void add(long readId) {
        forNext.add(readId);
    }

    boolean requestOut() {
        return out != 0;
    }

    boolean idle() {
        return out == 0 && forNext.isEmpty();
    }

    boolean anyForNext() {
        return !forNext.isEmpty();
    }

    /** The reads waiting go on a new request to {@code leader}; gives its id. */
    long newRequest(long leader) {
        onRequest.addAll(forNext);
        forNext.clear();
        out = ++requestSeq;
        to = leader;
        age = 0;
        return out;
    }

    /** The reads a response answers, or null for a response to a request given up on (its reads rode on a later one). */
    List<Long> answered(long from, long requestId) {
        if (out == 0 || requestId != out || from != to) {
            return null;
        }
        List<Long> reads = new ArrayList<>(onRequest);
        onRequest.clear();
        out = 0;
        return reads;
    }

    /** One more tick without an answer: whether the request out still stands (not too old, its leader still leads). */
    boolean stillWaiting(int timeoutTicks, long leader) {
        return out != 0 && ++age < timeoutTicks && leader == to;
    }

    /** Every read waiting, oldest first, no longer waiting: no request is out. */
    List<Long> drop() {
        List<Long> all = new ArrayList<>(onRequest);
        all.addAll(forNext);
        onRequest.clear();
        forNext.clear();
        out = 0;
        return all;
    }
}
