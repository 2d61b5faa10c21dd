package io.cairn.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;

/**
 * Writes messages handed over from any thread to one channel, in order, with one event-loop task
 * and one flush for everything that queued up meanwhile. A {@code writeAndFlush} per message from
 * outside the event loop costs a task and a system call each: a revision fanned out to 500
 * watches on one connection was 500 of each (the benchmark's watch fan-out), and a burst of
 * answers under write load, or of requests from a busy client, is the same. Used by the
 * members (answers, peer messages) and by the client (requests).
 */
public final class CoalescingWriter<T> {
    private final Channel channel;
    private final Queue<Entry<T>> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final LongConsumer written;

    private record Entry<T>(T message, long size) {}

    /**
     * {@code written} is told the sizes of messages once written (or failed), to track backlog;
     * null when nobody asks (then no write allocates a future).
     */
    public CoalescingWriter(Channel channel, LongConsumer written) {
        this.channel = channel;
        this.written = written;
    }

    public void write(T message, long size) {
        queue.add(new Entry<>(message, size));
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                channel.eventLoop().execute(this::drain);
            } catch (RejectedExecutionException shutDown) {
                // The event loop is gone, so is the channel: its close already failed whatever
                // waited on it, and callers check the channel before waiting.
                queue.clear();
            }
        }
    }

    private void drain() {
        // Cleared before polling: a message queued after this point schedules the next drain.
        drainScheduled.set(false);
        long bytes = 0;
        ChannelFuture last = null;
        boolean any = false;
        for (Entry<T> e; (e = queue.poll()) != null; ) {
            any = true;
            if (written == null) {
                channel.write(e.message(), channel.voidPromise());
            } else {
                last = channel.write(e.message());
                bytes += e.size();
            }
        }
        if (any) {
            WriteTrace.mark(WriteTrace.Stage.FLUSH);
            channel.flush();
        }
        if (last != null) {
            // Writes complete in order, so the last one's completion accounts for the batch.
            long batch = bytes;
            last.addListener(f -> written.accept(batch));
        }
    }
}
