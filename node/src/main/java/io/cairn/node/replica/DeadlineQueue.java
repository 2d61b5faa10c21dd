package io.cairn.node.replica;

import java.util.function.LongConsumer;

/**
 * Request ids in the order they were taken, each with its deadline, for requests that all get
 * the same timeout: the oldest is always first, so expiring is popping from the head. It replaces
 * a scheduled task per request, which under write load kept a hundred thousand timers (each
 * living the whole timeout, long enough to be copied into the old generation) in the loop's
 * priority queue. Ids whose request has finished are not removed; they are skipped when due.
 * Plain arrays of longs: nothing is allocated per request. One thread.
 */
final class DeadlineQueue {
    private long[] ids = new long[1024];
    private long[] deadlines = new long[1024];
    private int head;
    private int size;

    void add(long id, long deadline) {
        if (size == ids.length) {
            grow();
        }
        int at = (head + size) & (ids.length - 1);
        ids[at] = id;
        deadlines[at] = deadline;
        size++;
    }

    /** Hands every id whose deadline is at or before {@code now} to {@code expired}, oldest first. */
    void expire(long now, LongConsumer expired) {
        while (size > 0 && deadlines[head] <= now) {
            long id = ids[head];
            head = (head + 1) & (ids.length - 1);
            size--;
            expired.accept(id);
        }
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] i = new long[ids.length * 2];
        long[] d = new long[ids.length * 2];
        for (int k = 0; k < size; k++) {
            i[k] = ids[(head + k) & (ids.length - 1)];
            d[k] = deadlines[(head + k) & (ids.length - 1)];
        }
        ids = i;
        deadlines = d;
        head = 0;
    }
}
