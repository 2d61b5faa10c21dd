package io.cairn.node.replica;

import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.Err;
import io.cairn.node.store.StoreException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * The clients' writes and linearizable reads waiting on a replica: each by its proposal or read
 * id, with the leader it was sent through and its deadline. A write ends when its proposal
 * applies, is refused, its leader is replaced, or its time runs out; a read when the read index
 * confirmed and this replica applied that far, or it fails. Used on the replica's loop only.
 */
final class PendingRequests {
    private record WaitingRead(long index, Runnable serve) {}

    private final long self;
    private final long timeoutMs;
    private final Map<Long, CompletableFuture<ApplyResult>> writes = new HashMap<>();
    /** The leader each pending write or read was sent through; when it changes they cannot finish. */
    private final Map<Long, Long> sentVia = new HashMap<>();
    private final Map<Long, Runnable> readFailures = new HashMap<>();
    private final Map<Long, LongConsumer> readIndexWaiters = new HashMap<>();
    private final List<WaitingRead> waitingApply = new ArrayList<>();
    private final DeadlineQueue writeDeadlines = new DeadlineQueue();
    private final DeadlineQueue readDeadlines = new DeadlineQueue();

    PendingRequests(long self, long timeoutMs) {
        this.self = self;
        this.timeoutMs = timeoutMs;
    }

    /** Writes and linearizable reads under way. */
    int inFlight() {
        return writes.size() + readFailures.size();
    }

    /** A client's write, proposed as {@code pid} through {@code leader}; it fails after the timeout. */
    void addWrite(long pid, CompletableFuture<ApplyResult> f, long leader, long nowMs) {
        addChange(pid, f, leader);
        writeDeadlines.add(pid, nowMs + timeoutMs);
    }

    /** A membership change, proposed as {@code pid}: its proposer times it itself. */
    void addChange(long pid, CompletableFuture<ApplyResult> f, long leader) {
        writes.put(pid, f);
        sentVia.put(pid, leader);
    }

    /** The write or change proposed as {@code pid}, no longer pending; null when it was not (or is no more). */
    CompletableFuture<ApplyResult> take(long pid) {
        CompletableFuture<ApplyResult> w = writes.remove(pid);
        if (w != null) {
            sentVia.remove(pid);
        }
        return w;
    }

    /**
     * Proposal {@code pid} will never apply: refused before any slot held it, or its slot was
     * chosen with a successor's value after the leader that took it was deposed.
     */
    void rejected(long pid) {
        CompletableFuture<ApplyResult> w = take(pid);
        if (w != null) {
            w.completeExceptionally(new StoreException(Err.UNAVAILABLE, "no leader accepted the write, or a new leader"
                    + " gave its slot to another (an election may be under way); " + Replica.NOT_APPLIED));
        }
    }

    /**
     * A linearizable read {@code rid} sent through {@code leader}: {@code atIndex} gets the read
     * index once the leader confirms it, {@code fail} runs if it cannot be.
     */
    void addRead(long rid, long leader, long nowMs, Runnable fail, LongConsumer atIndex) {
        sentVia.put(rid, leader);
        readFailures.put(rid, fail);
        readIndexWaiters.put(rid, atIndex);
        readDeadlines.add(rid, nowMs + timeoutMs);
    }

    void readIndexReady(long rid, long index) {
        LongConsumer k = readIndexWaiters.remove(rid);
        if (k != null) {
            k.accept(index);
        }
    }

    /** Runs {@code serve} once the replica has applied through {@code index} (see {@link #serveReads}). */
    void whenApplied(long index, Runnable serve) {
        waitingApply.add(new WaitingRead(index, serve));
    }

    /** Serves the reads waiting for slots up to {@code applied}. */
    void serveReads(long applied) {
        Iterator<WaitingRead> it = waitingApply.iterator();
        while (it.hasNext()) {
            WaitingRead w = it.next();
            if (applied >= w.index()) {
                it.remove();
                w.serve().run();
            }
        }
    }

    /** Read {@code rid} is being answered: true when it was still waiting (not failed meanwhile). */
    boolean finishRead(long rid) {
        if (readFailures.remove(rid) == null) {
            return false;
        }
        sentVia.remove(rid);
        return true;
    }

    void failRead(long rid) {
        sentVia.remove(rid);
        readIndexWaiters.remove(rid);
        Runnable fail = readFailures.remove(rid);
        if (fail != null) {
            fail.run();
        }
    }

    /**
     * Fails everything pending: writes as "outcome unknown" (the leader may still commit them),
     * reads outright. {@code why} says what happened.
     */
    void failAll(String why) {
        for (long pid : List.copyOf(writes.keySet())) {
            CompletableFuture<ApplyResult> w = take(pid);
            if (w != null) {
                w.completeExceptionally(new StoreException(Err.UNAVAILABLE, why + "; the write's outcome is unknown"));
            }
        }
        List.copyOf(readFailures.keySet()).forEach(this::failRead);
        waitingApply.clear();
    }

    /** Fails the writes and reads that have waited their whole timeout. */
    void expire(long nowMs) {
        writeDeadlines.expire(nowMs, pid -> {
            CompletableFuture<ApplyResult> w = take(pid);
            if (w != null) {
                w.completeExceptionally(new StoreException(Err.UNAVAILABLE, "the write was not committed within "
                        + timeoutMs + " ms; its outcome is unknown"));
            }
        });
        readDeadlines.expire(nowMs, this::failRead);
    }

    /**
     * Requests handed to a leader that is no longer leader will never be answered by it. Reads
     * fail at once (they can be retried); writes fail as "outcome unknown", since the old leader
     * may have put them in a slot its successor then finishes. Losing sight of the leader is not
     * enough: a follower starved of CPU misses heartbeats while the leader carries on and commits
     * what it was sent (the benchmark showed such blips failing writes that then succeeded), so
     * they wait for another leader to be known, or for their timeout.
     */
    void leaderChanged(long newLeader) {
        if (newLeader == 0) {
            return;
        }
        Iterator<Map.Entry<Long, Long>> it = sentVia.entrySet().iterator();
        List<Long> readsToFail = new ArrayList<>();
        while (it.hasNext()) {
            Map.Entry<Long, Long> e = it.next();
            if (e.getValue() == newLeader || (e.getValue() == self && newLeader == self)) {
                continue;
            }
            it.remove();
            long key = e.getKey();
            CompletableFuture<ApplyResult> w = writes.get(key);
            if (w != null && e.getValue() != self) {
                writes.remove(key);
                w.completeExceptionally(new StoreException(Err.UNAVAILABLE,
                        "leader " + e.getValue() + " was lost before the write was committed; its outcome is unknown"));
                continue;
            }
            if (readFailures.containsKey(key)) {
                readsToFail.add(key);
            }
        }
        readsToFail.forEach(this::failRead);
    }
}
