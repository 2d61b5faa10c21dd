package io.cairn.node.replica;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Times sessions on the leader, and only there: the state machine knows which sessions exist,
 * this knows when each was last kept alive. Pure — the caller passes the time in — so the node
 * and the simulator time sessions the same way.
 *
 * <p>A member that becomes leader starts every session's clock afresh: whatever keepalives the
 * old leader saw are lost with it, and a live session must not pay for that.
 */
public final class SessionClock {
    /** What the clock needs to know of a session. */
    public record Timed(long id, long ttlMs) {}

    /** When a session's TTL runs out if nothing keeps it alive before; stale once it was kept alive again. */
    private record Deadline(long atMs, long session) {}

    private final Map<Long, Long> lastSeen = new HashMap<>();
    private final Map<Long, Long> ttls = new HashMap<>();
    private final Set<Long> expiring = new HashSet<>();
    /**
     * Every keepalive queues a deadline; the entries a later keepalive made stale are dropped as
     * they come up. So a tick looks only at the deadlines that passed, not at every session: the
     * benchmark's 10,000 sessions cost the leader 40 ms of CPU a second when each 50 ms tick
     * walked them all.
     */
    private final PriorityQueue<Deadline> deadlines = new PriorityQueue<>(Comparator.comparingLong(Deadline::atMs));
    private boolean leading;
    private boolean synced;

    /** Called as leadership comes or goes; returns true when it changed. */
    public boolean leading(boolean now) {
        if (now == leading) {
            return false;
        }
        leading = now;
        lastSeen.clear();
        ttls.clear();
        expiring.clear();
        deadlines.clear();
        synced = false;
        return true;
    }

    public boolean isLeading() {
        return leading;
    }

    public void keepalive(long session, long nowMs) {
        if (!leading) {
            return;
        }
        lastSeen.put(session, nowMs);
        Long ttl = ttls.get(session);
        if (ttl != null) {
            deadlines.add(new Deadline(nowMs + ttl, session));
        }
    }

    /** Whether {@link #sync} must be given the sessions before the next {@link #expired}: none were given since leading. */
    public boolean needsSync() {
        return !synced;
    }

    /**
     * The sessions that exist now, given when they change (a session opened or ended) and after
     * leadership came: one not seen before starts its clock now, one gone is forgotten.
     */
    public void sync(Collection<Timed> sessions, long nowMs) {
        if (!leading) {
            return;
        }
        Map<Long, Long> now = new HashMap<>();
        for (Timed s : sessions) {
            now.put(s.id(), s.ttlMs());
            Long known = ttls.get(s.id());
            if (known == null || known != s.ttlMs()) {
                long seen = lastSeen.computeIfAbsent(s.id(), id -> nowMs);
                deadlines.add(new Deadline(seen + s.ttlMs(), s.id()));
            }
        }
        ttls.clear();
        ttls.putAll(now);
        lastSeen.keySet().retainAll(now.keySet());
        expiring.retainAll(now.keySet());
        synced = true;
    }

    /**
     * The sessions whose TTL has run out since they were last seen, among those last given to
     * {@link #sync}; each returned once, unless its expiry is given back ({@link #retry}).
     */
    public List<Long> expired(long nowMs) {
        List<Long> out = new ArrayList<>();
        if (!leading) {
            return out;
        }
        while (!deadlines.isEmpty() && deadlines.peek().atMs() < nowMs) {
            Deadline d = deadlines.poll();
            Long ttl = ttls.get(d.session());
            Long seen = lastSeen.get(d.session());
            // Current only if it is the deadline of the last keepalive: a later one queued its own.
            if (ttl != null && seen != null && seen + ttl == d.atMs() && expiring.add(d.session())) {
                out.add(d.session());
            }
        }
        return out;
    }

    /** The expiry of a session was not committed: it may be proposed again at the next tick. */
    public void retry(long session) {
        if (expiring.remove(session) && leading) {
            Long ttl = ttls.get(session);
            Long seen = lastSeen.get(session);
            if (ttl != null && seen != null) {
                deadlines.add(new Deadline(seen + ttl, session));
            }
        }
    }

    /** Milliseconds a session has left, or -1 when unknown here (not leading, or never seen). */
    public long remaining(long session, long ttlMs, long nowMs) {
        Long seen = lastSeen.get(session);
        if (!leading) {
            return -1;
        }
        return seen == null ? ttlMs : Math.max(0, ttlMs - (nowMs - seen));
    }
}
