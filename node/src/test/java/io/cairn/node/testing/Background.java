package io.cairn.node.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The threads and callbacks a test starts besides its own: whatever fails on one of them fails
 * the test (a writer thread that died, a listener that threw), instead of being printed and lost
 * while the test goes on and passes. {@link #close} waits for every thread, with a deadline.
 */
public final class Background implements AutoCloseable {
    /** A body that may throw anything; what it throws is the test's failure. */
    public interface Body {
        void run() throws Exception;
    }

    private final List<Thread> threads = new ArrayList<>();
    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final Duration joinDeadline;

    public Background() {
        this(Duration.ofSeconds(60));
    }

    public Background(Duration joinDeadline) {
        this.joinDeadline = joinDeadline;
    }

    public synchronized Thread start(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failures.add(new AssertionError("thread " + name + " failed: " + e, e));
            }
        }, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return t;
    }

    /** For callbacks on threads the test does not own (listeners): a failure to report. */
    public void fail(Throwable e) {
        failures.add(e);
    }

    /** Throws the first failure so far (the others suppressed on it). */
    public void check() {
        Throwable first = failures.peek();
        if (first == null) {
            return;
        }
        AssertionError e = first instanceof AssertionError a ? a : new AssertionError(first.toString(), first);
        failures.stream().skip(1).forEach(e::addSuppressed);
        throw e;
    }

    /** Waits for every thread to end, then {@link #check}s; a thread still running is a failure too. */
    public void join() throws InterruptedException {
        long end = System.nanoTime() + joinDeadline.toNanos();
        List<Thread> all;
        synchronized (this) {
            all = List.copyOf(threads);
        }
        for (Thread t : all) {
            t.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                failures.add(new AssertionError("thread " + t.getName() + " still running after " + joinDeadline));
            }
        }
        check();
    }

    @Override
    public void close() throws InterruptedException {
        join();
    }
}
