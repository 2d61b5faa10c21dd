package io.cairn.client;

/**
 * Receives a watch's events, in revision order, each exactly once, across reconnects. Called on
 * the client's event thread, one call at a time; a listener may call the blocking API.
 */
public interface WatchListener {
    void onEvent(Event event);

    /**
     * The watch ended for good: {@link TooLateException} when it fell behind the retained history
     * (read again and start a new watch), or another error it cannot recover from.
     */
    default void onError(CairnException error) {}
}
