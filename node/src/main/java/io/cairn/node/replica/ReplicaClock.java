package io.cairn.node.replica;

/**
 * A replica's time: a monotonic clock in milliseconds and timers whose tasks run on the replica's
 * loop. A member's is {@link LoopClock}; the simulator's is its event queue.
 */
public interface ReplicaClock {
    long nowMs();

    /** Runs {@code task} on the loop once, {@code delayMs} from now. */
    void after(long delayMs, Runnable task);

    /** Runs {@code task} on the loop every {@code periodMs} until the returned timer is cancelled. */
    Timer every(long periodMs, Runnable task);

    /** A repeating timer. */
    interface Timer {
        void cancel();
    }
}
