package io.cairn.node.replica;

/**
 * A replica's time: a monotonic clock in milliseconds and timers whose tasks run on the replica's
 * loop. A member's is {@link LoopClock}; the simulator's is its event queue.
 */
public interface ReplicaClock {
    long nowMs();

    /** The same clock in nanoseconds, for latency histograms (the simulator's has millisecond steps). */
    default long nowNanos() {
        return nowMs() * 1_000_000;
    }

    /**
     * The wall clock, ms since the epoch: only for recording when a slot was proposed (the
     * audit trail), never for timing, which {@link #nowMs} does.
     */
    long wallMs();

    /** Runs {@code task} on the loop once, {@code delayMs} from now. */
    void after(long delayMs, Runnable task);

    /** Runs {@code task} on the loop every {@code periodMs} until the returned timer is cancelled. */
    Timer every(long periodMs, Runnable task);

    /** A repeating timer. */
    interface Timer {
        void cancel();
    }
}
