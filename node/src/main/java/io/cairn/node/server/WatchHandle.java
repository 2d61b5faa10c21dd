package io.cairn.node.server;

/** A running WAIT or WATCH. */
public interface WatchHandle {
    /** Stops delivery; the sink gets {@link WatchSink#end} with no error unless it already ended. */
    void cancel();
}
