package io.cairn.node.replica;

import io.cairn.node.store.VersionedTree;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends sessions whose holders went quiet: the replica's part of session timing, on its loop.
 *
 * <p>The state machine knows which sessions exist and which files they hold; when they end is
 * the leader's call, on its own clock ({@link SessionClock}): it times every session from the
 * last keepalive any member passed on, and commits an EXPIRE through the log once a TTL has gone
 * by. A follower passes the keepalives it takes on to the leader, batched per tick. A new leader
 * starts every session's clock afresh, so a leader change never expires a live one.
 */
final class SessionExpiry {
    private static final Logger log = LoggerFactory.getLogger(Replica.class);

    /** What expiry does through the replica. */
    interface Effects {
        /** Proposes the end of {@code session}; the future fails when it was not committed. */
        CompletableFuture<?> expire(long session);

        /** Passes keepalives on to the leader. */
        void forward(long leader, Collection<Long> sessions);

        /** Runs a task on the replica's loop. */
        void onLoop(Runnable task);
    }

    private final long member;
    private final Effects effects;
    private final SessionClock clock = new SessionClock();
    private final Set<Long> toForward = new HashSet<>();
    /** The tree, and its count of session changes, the clock last took the sessions from (a snapshot installed is another tree). */
    private VersionedTree syncedTree;
    private long syncedChange;

    SessionExpiry(long member, Effects effects) {
        this.member = member;
        this.effects = effects;
    }

    /**
     * Every 50 ms: as leader, ends the sessions whose TTL ran out; as follower, passes on the
     * keepalives taken since the last tick. {@code tree}: the sessions open as of the applied slot.
     */
    void tick(boolean leading, long leader, VersionedTree tree, long nowMs) {
        if (clock.leading(leading) && leading) {
            log.info("member {}: leading; every open session gets a fresh TTL ({} sessions)", member, tree.sessionCount());
        }
        if (leading) {
            if (clock.needsSync() || tree != syncedTree || tree.sessionsChanged() != syncedChange) {
                List<SessionClock.Timed> sessions = new ArrayList<>();
                tree.sessionTtls().forEach((id, ttl) -> sessions.add(new SessionClock.Timed(id, ttl)));
                clock.sync(sessions, nowMs);
                syncedTree = tree;
                syncedChange = tree.sessionsChanged();
            }
            for (long sid : clock.expired(nowMs)) {
                log.info("member {}: session {} expired (no keepalive within its TTL); deleting its files", member, sid);
                effects.expire(sid).whenComplete((r, e) -> {
                    if (e != null) {
                        effects.onLoop(() -> clock.retry(sid));
                    }
                });
            }
        } else if (!toForward.isEmpty() && leader != 0) {
            effects.forward(leader, toForward);
            toForward.clear();
        }
    }

    /** A client kept {@code session} alive through this member. */
    void keepalive(long session, boolean leading, long nowMs) {
        if (leading) {
            clock.leading(true);
            clock.keepalive(session, nowMs);
        } else {
            toForward.add(session);
        }
    }

    /** Another member passed on a keepalive for {@code session}. */
    void forwarded(long session, long nowMs) {
        clock.keepalive(session, nowMs);
    }

    /** Whether this member leads now, before asking {@link #remaining}: a change of leadership restarts every clock. */
    void leading(boolean leading) {
        clock.leading(leading);
    }

    /** Milliseconds {@code session} has left, or -1 when unknown here (see {@link SessionClock#remaining}). */
    long remaining(long session, long ttlMs, long nowMs) {
        return clock.remaining(session, ttlMs, nowMs);
    }
}
