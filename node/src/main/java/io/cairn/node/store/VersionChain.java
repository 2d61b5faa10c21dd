package io.cairn.node.store;

import java.util.ArrayList;
import java.util.List;

/**
 * The versions of one path inside the history window, oldest first. A version with a null value
 * is a deletion. Revisions strictly increase along the chain.
 *
 * <p>Compaction forgets versions from the front by moving a start index; the array is shifted
 * only once the forgotten part is as long as the rest. Shifting on every compaction moved the
 * whole chain for every write to a busy path (its window's worth of versions, each time).
 */
final class VersionChain {
    record Version(long rev, byte[] value) {
        boolean deleted() {
            return value == null;
        }
    }

    private final ArrayList<Version> versions;
    /** Versions before this index are forgotten. */
    private int start;

    VersionChain() {
        this.versions = new ArrayList<>(2);
    }

    /**
     * Where the chain ends: what {@link #truncate} takes back to. Only meaningful until the next
     * {@link #compact}, which a transaction never meets half-way.
     */
    int size() {
        return versions.size();
    }

    /**
     * Drops every version after {@code size}: undoes the puts of a transaction that failed.
     * Those puts were all at one revision above every version already held, so the first
     * appended and any later one replaced what it appended; none touched the older versions.
     */
    void truncate(int size) {
        versions.subList(size, versions.size()).clear();
    }

    /**
     * Records the state of the path at {@code rev}. A second change within the same revision (a
     * transaction touching a path twice) replaces the first, since only the end state of a
     * revision is readable.
     */
    void put(long rev, byte[] valueOrNull) {
        Version v = new Version(rev, valueOrNull);
        if (versions.size() > start && versions.get(versions.size() - 1).rev() == rev) {
            versions.set(versions.size() - 1, v);
        } else {
            versions.add(v);
        }
    }

    /** The version in effect at {@code rev}, or null when the path did not exist then. */
    Version at(long rev) {
        int lo = start;
        int hi = versions.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (versions.get(mid).rev() <= rev) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found < 0) {
            return null;
        }
        Version v = versions.get(found);
        return v.deleted() ? null : v;
    }

    /** The versions kept, oldest first, as changes of {@code path}. */
    List<Event> events(String path) {
        List<Event> out = new ArrayList<>(versions.size() - start);
        for (int i = start; i < versions.size(); i++) {
            Version v = versions.get(i);
            out.add(v.deleted() ? Event.del(v.rev(), path) : Event.set(v.rev(), path, v.value()));
        }
        return out;
    }

    Version latest() {
        return versions.size() == start ? null : versions.get(versions.size() - 1);
    }

    /**
     * Forgets what no read at or after {@code oldest} can see: versions superseded at or before
     * it, and a deletion in effect at it. Returns true when nothing is left.
     */
    boolean compact(long oldest) {
        int keep = -1;
        for (int i = start; i < versions.size(); i++) {
            if (versions.get(i).rev() <= oldest) {
                keep = i;
            } else {
                break;
            }
        }
        if (keep > start) {
            forget(keep - start);
            keep = start;
        }
        if (keep == start && versions.get(start).deleted()) {
            forget(1);
        }
        return versions.size() == start;
    }

    private void forget(int n) {
        for (int i = start; i < start + n; i++) {
            versions.set(i, null); // let the forgotten values go before the shift
        }
        start += n;
        if (start >= versions.size() - start) {
            versions.subList(0, start).clear();
            start = 0;
        }
    }
}
