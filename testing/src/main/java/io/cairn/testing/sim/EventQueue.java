package io.cairn.testing.sim;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * Simulated time: actions run in (time, insertion) order, one at a time. {@link #seq()} counts
 * the actions run so far and serves as the history's clock: it orders every call and return
 * exactly, even within one millisecond.
 *
 * <p>Actions wait in one first-in-first-out queue per millisecond that has any: most are due
 * now or a few milliseconds on, so there are far fewer distinct times than actions, and a
 * binary heap of every action (what this was) spent a sixth of a simulation's time ordering it.
 */
final class EventQueue {
    private final TreeMap<Long, ArrayDeque<Runnable>> byTime = new TreeMap<>();
    private long now;
    private long seq;

    long now() {
        return now;
    }

    long seq() {
        return seq;
    }

    void at(long time, Runnable action) {
        byTime.computeIfAbsent(Math.max(time, now), t -> new ArrayDeque<>()).add(action);
    }

    void after(long delay, Runnable action) {
        at(now + delay, action);
    }

    /** Runs actions until the queue is empty or the next one is past {@code until}. */
    void runUntil(long until) {
        while (!byTime.isEmpty()) {
            Map.Entry<Long, ArrayDeque<Runnable>> first = byTime.firstEntry();
            if (first.getKey() > until) {
                break;
            }
            now = first.getKey();
            ArrayDeque<Runnable> due = first.getValue();
            Runnable action = due.poll();
            if (due.isEmpty()) {
                byTime.remove(now);
            }
            seq++;
            action.run();
        }
        now = Math.max(now, until);
    }
}
