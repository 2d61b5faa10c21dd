package io.cairn.client;

import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

/**
 * The calls in flight, oldest first, each with its deadline: every call gets the client's one
 * request timeout, so the oldest is always the next due. A sweep on the event loop (every few
 * milliseconds) drops the finished ones from the head and fails the overdue ones. It replaces a
 * timer task per call, which kept seconds' worth of timers in the event loop's priority queue
 * under load and built a {@link RequestTimeoutException}, stack trace and all, for every call
 * when its timer ran, answered or not.
 */
final class CallDeadlines {
    private record Due(long at, CompletableFuture<?> call, Supplier<String> why) {}

    private final Queue<Due> calls = new ConcurrentLinkedQueue<>();

    /** Any thread. {@code why} says what timed out; it is only called if it did. */
    void add(long deadlineNanos, CompletableFuture<?> call, Supplier<String> why) {
        calls.add(new Due(deadlineNanos, call, why));
    }

    /** One thread at a time (the event loop). */
    void sweep(long nowNanos) {
        for (Due d; (d = calls.peek()) != null; ) {
            if (!d.call().isDone() && d.at() - nowNanos > 0) {
                return;
            }
            calls.poll();
            if (!d.call().isDone()) {
                d.call().completeExceptionally(new RequestTimeoutException(d.why().get()));
            }
        }
    }
}
