package io.cairn.client;

import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.Response.Err;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member-side watch, kept running. It survives lost connections: it reconnects (to the next
 * endpoint if need be) and asks again from the revision of the last event it delivered, dropping
 * the events of that revision it had already delivered, so the listener sees each change exactly
 * once, in order. A {@link Watch} is one, or a share of one ({@link SharedWatch}).
 */
final class WatchStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WatchStream.class);
    private static final long MIN_BACKOFF_MS = 50;
    private static final long MAX_BACKOFF_MS = 2000;

    private final CairnClient client;
    private final String glob;
    private final WatchListener listener;
    // The fields below are touched only on the client's listener thread.
    private long startRev;
    private long lastRev;
    /** Events of {@code lastRev} handed to the listener; never reset until the revision moves on. */
    private int deliveredAtLastRev;
    /** Replayed events of {@code lastRev} still to drop after a resubscribe. */
    private int skipAtLastRev;
    private long backoffMs = MIN_BACKOFF_MS;
    private volatile boolean closed;
    private volatile Connection conn;
    private volatile int tag;
    private volatile int reconnects;

    WatchStream(CairnClient client, String glob, long fromRev, WatchListener listener) {
        this.client = client;
        this.glob = glob;
        this.startRev = fromRev;
        this.listener = listener;
    }

    void start() {
        if (startRev > 0) {
            onListenerThread(this::subscribe);
            return;
        }
        // "From the next change" is pinned to a revision now, so a resume has a definite start.
        // The member's own revision will do (as etcd starts a watch at its member's revision): a
        // start a little behind the leader only replays a few changes made just before the
        // watch, and it spares the leader a quorum round per watch (10,000 watches opened at
        // once were 10,000 read-index rounds, enough to starve its heartbeats).
        client.revAsync(true).whenComplete((r, e) -> onListenerThread(() -> {
            if (e != null) {
                retryLater();
                return;
            }
            if (startRev <= 0) {
                startRev = r.rev() + 1;
            }
            subscribe();
        }));
    }

    /** The revision of the last event delivered (0 before the first); read it on the listener thread. */
    long lastRev() {
        return lastRev;
    }

    /** How many times the watch has had to reconnect. */
    int reconnects() {
        return reconnects;
    }

    private void onListenerThread(Runnable r) {
        if (closed) {
            return;
        }
        try {
            client.listeners().execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            closed = true;
        }
    }

    private void subscribe() {
        if (closed) {
            return;
        }
        long from = lastRev > 0 ? lastRev : startRev;
        // The server replays lastRev's events in the same order: drop the ones already delivered.
        // Counted from deliveredAtLastRev, not from what the last attempt skipped, so a
        // connection lost again mid-replay still skips exactly the right number.
        skipAtLastRev = lastRev > 0 ? deliveredAtLastRev : 0;
        client.whenConnected((c, err) -> {
            if (err != null) {
                onListenerThread(this::retryLater);
                return;
            }
            conn = c;
            tag = c.send(Request.newBuilder().setVerb(Verb.WATCH).setPath(glob).setRev(from), new Connection.Call() {
                @Override
                public boolean onResponse(Response r) {
                    if (r.hasErrCode()) {
                        CairnException e = CairnException.of(r.getErrCode(), r.getErrDetail(), -1);
                        if (r.getErrCode() == Err.RANGE && r.getErrDetail().startsWith("watcher fell too far behind")) {
                            onListenerThread(WatchStream.this::resubscribe);
                        } else {
                            onListenerThread(() -> fail(e));
                        }
                        return true;
                    }
                    if ((r.getFlags() & 1) != 0) {
                        Event ev = CairnClient.toEvent(r);
                        onListenerThread(() -> deliver(ev));
                        return false;
                    }
                    return true; // DONE without VALID: our own cancel
                }

                @Override
                public void onLost() {
                    onListenerThread(WatchStream.this::resubscribe);
                }
            });
        });
    }

    private void deliver(Event e) {
        if (closed) {
            return;
        }
        if (e.rev() < lastRev) {
            return;
        }
        if (e.rev() == lastRev) {
            if (skipAtLastRev > 0) {
                skipAtLastRev--;
                return;
            }
            deliveredAtLastRev++;
        } else {
            lastRev = e.rev();
            deliveredAtLastRev = 1;
            skipAtLastRev = 0;
        }
        backoffMs = MIN_BACKOFF_MS;
        try {
            listener.onEvent(e);
        } catch (RuntimeException ex) {
            log.warn("watch listener on {} threw at rev {}: {}", glob, e.rev(), ex.toString());
        }
    }

    private void resubscribe() {
        if (closed) {
            return;
        }
        reconnects++;
        retryLater();
    }

    private void retryLater() {
        if (closed || client.isClosed()) {
            return;
        }
        long delay = backoffMs;
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        client.loop().schedule(() -> onListenerThread(() -> {
            if (startRev <= 0) {
                start();
            } else {
                subscribe();
            }
        }), delay, TimeUnit.MILLISECONDS);
    }

    private void fail(CairnException e) {
        if (closed) {
            return;
        }
        closed = true;
        listener.onError(e);
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Connection c = conn;
        if (c != null && c.isActive()) {
            c.send(Request.newBuilder().setVerb(Verb.CANCEL).setOtherTag(tag), new CairnClient.IgnoreAnswer());
        }
    }
}
