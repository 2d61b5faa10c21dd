package io.cairn.node.server;

import io.cairn.proto.Msg.Request.Verb;

/** Told how long each answered request took, by verb, and of connections coming and going (the member's metrics). */
public interface RequestObserver {
    RequestObserver NONE = (verb, nanos) -> { };

    /** A request of {@code verb} was answered {@code nanos} after it arrived. */
    void answered(Verb verb, long nanos);

    /** A client connection opened (+1) or closed (-1). */
    default void connections(int delta) {
    }
}
