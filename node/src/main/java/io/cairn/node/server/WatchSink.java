package io.cairn.node.server;

import io.cairn.node.store.Event;
import io.cairn.node.store.StoreException;
import java.util.List;

/**
 * Where a watch delivers. Called on the state machine's thread, in revision order; an
 * implementation hands the events to its own I/O thread and returns at once.
 */
public interface WatchSink {
    /**
     * The matching events of one revision, in op order. Returns false when the sink can take no
     * more (closed, or too far behind); the watch then ends without {@link #end}.
     */
    boolean deliver(List<Event> events);

    /**
     * Whether a change to {@code path} is for this watcher at all (the caller's rights): one that
     * is not is never delivered, and does not end a WAIT. Asked on the state machine's thread.
     */
    default boolean accepts(String path) {
        return true;
    }

    /** The watch ended: cancelled (error null) or refused (TOO_LATE, for example). */
    void end(StoreException error);
}
