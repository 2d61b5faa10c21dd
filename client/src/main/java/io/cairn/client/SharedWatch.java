package io.cairn.client;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watches "from the next change" of one glob on one client, served by one member-side watch
 * whose events this client hands to each of them, as ZooKeeper's client does with the watches of
 * one path: 10,000 watches of a prefix in one process are one watch to the member, and a change
 * is one event on the wire, not 10,000. A watch that joins starts after the revision the shared
 * stream has delivered when it joins (whole revisions only: it joins between deliveries, on the
 * listener thread); one that leaves stops at once; the last to leave ends the member-side watch.
 * An error that ends the stream (the policy refuses the glob, say) ends every watch on it.
 */
final class SharedWatch {
    private static final Logger log = LoggerFactory.getLogger(SharedWatch.class);

    /** One watch on the stream: its listener, and from which revision on it is told. */
    static final class Member {
        final WatchListener listener;
        /** Set on the listener thread when it joins; -1 until then (told nothing). */
        private volatile long after = -1;
        private volatile long lastRev;
        private volatile boolean left;

        Member(WatchListener listener) {
            this.listener = listener;
        }

        long lastRev() {
            return lastRev;
        }
    }

    private final CairnClient client;
    private final String glob;
    private final List<Member> members = new CopyOnWriteArrayList<>();
    private final WatchStream stream;
    /** Guarded by the client's shared-watch table. */
    private boolean ended;

    SharedWatch(CairnClient client, String glob) {
        this.client = client;
        this.glob = glob;
        this.stream = new WatchStream(client, glob, 0, new WatchListener() {
            @Override
            public void onEvent(Event e) {
                deliver(e);
            }

            @Override
            public void onError(CairnException e) {
                failAll(e);
            }
        });
    }

    WatchStream stream() {
        return stream;
    }

    void start() {
        stream.start();
    }

    /** Called with the client's table locked: false when this stream has ended and a new one is needed. */
    boolean join(Member m) {
        if (ended) {
            return false;
        }
        members.add(m);
        // Between two deliveries: the new watch is told from the next revision on, never half of one.
        try {
            client.listeners().execute(() -> m.after = stream.lastRev());
        } catch (java.util.concurrent.RejectedExecutionException closedClient) {
            m.left = true; // the client is closed: nothing will be delivered anyway
        }
        return true;
    }

    void leave(Member m) {
        m.left = true;
        client.leaveShared(glob, this, m);
    }

    /** Called with the client's table locked: removes {@code m}; true when it was the last (the stream is ended). */
    boolean remove(Member m) {
        members.remove(m);
        if (members.isEmpty() && !ended) {
            ended = true;
            stream.close();
            return true;
        }
        return false;
    }

    private void deliver(Event e) {
        for (Member m : members) {
            long after = m.after;
            if (m.left || after < 0 || e.rev() <= after) {
                continue;
            }
            m.lastRev = e.rev();
            try {
                m.listener.onEvent(e);
            } catch (RuntimeException ex) {
                log.warn("watch listener on {} threw at rev {}: {}", glob, e.rev(), ex.toString());
            }
        }
    }

    private void failAll(CairnException e) {
        client.endShared(glob, this);
        for (Member m : members) {
            if (!m.left) {
                m.left = true;
                m.listener.onError(e);
            }
        }
    }

    /** Called with the client's table locked. */
    void markEnded() {
        ended = true;
    }
}
