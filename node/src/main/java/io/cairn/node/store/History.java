package io.cairn.node.store;

import java.util.List;

/**
 * The events of each retained revision, oldest first. Revisions follow one another without a
 * gap, so they sit in a ring indexed by revision: appending and compacting touch its ends only.
 * It replaces a sorted map, whose entry and boxed key per revision were two of the handful of
 * objects every write left for the garbage collector to copy into the old generation, and whose
 * rebalancing wrote into old nodes on every append.
 */
final class History {
    private Object[] ring = new Object[1024];
    private int head;
    private int size;
    /** The revision at {@link #head}, when the ring holds any. */
    private long first;

    /** Appends the events of {@code rev}, which must follow the newest revision held. */
    void add(long rev, List<Event> events) {
        if (size == 0) {
            first = rev;
        } else if (rev != first + size) {
            throw new IllegalStateException("history goes from rev " + (first + size - 1) + " to " + rev);
        }
        if (size == ring.length) {
            grow();
        }
        ring[(head + size) & (ring.length - 1)] = events;
        size++;
    }

    /** The events of {@code rev}, or null when it is not held. */
    @SuppressWarnings("unchecked")
    List<Event> get(long rev) {
        if (size == 0 || rev < first || rev >= first + size) {
            return null;
        }
        return (List<Event>) ring[(int) ((head + (rev - first)) & (ring.length - 1))];
    }

    /** Drops {@code rev} if it is the oldest held, and returns its events; null otherwise. */
    List<Event> removeOldest(long rev) {
        if (size == 0 || rev != first) {
            return null;
        }
        List<Event> events = get(rev);
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
        first++;
        return events;
    }

    /**
     * The events of every revision held, oldest first, copied out of the ring in one or two
     * array copies: a snapshot's capture on the member's loop, revision by revision through
     * {@link #get}, stalled the loop for 20 ms with a window of 100,000 revisions (the first
     * snapshot of a benchmark run, its loop still interpreted).
     */
    @SuppressWarnings("unchecked")
    List<List<Event>> copy() {
        Object[] out = new Object[size];
        int toEnd = Math.min(size, ring.length - head);
        System.arraycopy(ring, head, out, 0, toEnd);
        System.arraycopy(ring, 0, out, toEnd, size - toEnd);
        return (List<List<Event>>) (List<?>) java.util.Arrays.asList(out);
    }

    /** The oldest revision held; meaningful when {@link #size} is not zero. */
    long firstRev() {
        return first;
    }

    int size() {
        return size;
    }

    private void grow() {
        Object[] bigger = new Object[ring.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = ring[(head + i) & (ring.length - 1)];
        }
        ring = bigger;
        head = 0;
    }
}
