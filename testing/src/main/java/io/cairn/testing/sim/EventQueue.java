package io.cairn.testing.sim;

import java.util.PriorityQueue;

/**
 * Simulated time: actions run in (time, insertion) order, one at a time. {@link #seq()} counts
 * the actions run so far and serves as the history's clock: it orders every call and return
 * exactly, even within one millisecond.
 */
final class EventQueue {
    private record Item(long time, long order, Runnable action) {}

    private final PriorityQueue<Item> items = new PriorityQueue<>(
            (a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.order, b.order));
    private long now;
    private long order;
    private long seq;

    long now() {
        return now;
    }

    long seq() {
        return seq;
    }

    void at(long time, Runnable action) {
        items.add(new Item(Math.max(time, now), order++, action));
    }

    void after(long delay, Runnable action) {
        at(now + delay, action);
    }

    /** Runs actions until the queue is empty or the next one is past {@code until}. */
    void runUntil(long until) {
        while (!items.isEmpty() && items.peek().time <= until) {
            Item i = items.poll();
            now = i.time;
            seq++;
            i.action.run();
        }
        now = Math.max(now, until);
    }
}
