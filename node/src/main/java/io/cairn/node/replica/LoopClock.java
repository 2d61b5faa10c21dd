package io.cairn.node.replica;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A member's clock: {@link System#nanoTime} and the timers of its event loop. */
final class LoopClock implements ReplicaClock {
    private final ScheduledExecutorService loop;

    LoopClock(ScheduledExecutorService loop) {
        this.loop = loop;
    }

    @Override
    public long nowMs() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    @Override
    public long nowNanos() {
        return System.nanoTime();
    }

    @Override
    public long wallMs() {
        return System.currentTimeMillis();
    }

    @Override
    public void after(long delayMs, Runnable task) {
        loop.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public Timer every(long periodMs, Runnable task) {
        ScheduledFuture<?> f = loop.scheduleAtFixedRate(task, periodMs, periodMs, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }
}
