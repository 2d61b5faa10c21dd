package io.cairn.node.replica;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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

    private final Map<Long, Long> lastSeen = new HashMap<>();
    private final Set<Long> expiring = new HashSet<>();
    private boolean leading;

    /** Called as leadership comes or goes; returns true when it changed. */
    public boolean leading(boolean now) {
        if (now == leading) {
            return false;
        }
        leading = now;
        lastSeen.clear();
        expiring.clear();
        return true;
    }

    public boolean isLeading() {
        return leading;
    }

    public void keepalive(long session, long nowMs) {
        if (leading) {
            lastSeen.put(session, nowMs);
        }
    }

    /**
     * The sessions whose TTL has run out since they were last seen, each returned once (until
     * {@link #ended} or {@link #retry}). Sessions not seen before start their clock now.
     */
    public List<Long> expired(Collection<Timed> sessions, long nowMs) {
        List<Long> out = new ArrayList<>();
        if (!leading) {
            return out;
        }
        Set<Long> present = new HashSet<>();
        for (Timed s : sessions) {
            present.add(s.id());
            Long seen = lastSeen.putIfAbsent(s.id(), nowMs);
            if (seen != null && nowMs - seen > s.ttlMs() && expiring.add(s.id())) {
                out.add(s.id());
            }
        }
        lastSeen.keySet().retainAll(present);
        expiring.retainAll(present);
        return out;
    }

    /** The expiry of a session was not committed: it may be proposed again. */
    public void retry(long session) {
        expiring.remove(session);
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
