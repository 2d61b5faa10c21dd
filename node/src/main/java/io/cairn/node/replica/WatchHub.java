package io.cairn.node.replica;

import io.cairn.node.server.WatchHandle;
import io.cairn.node.server.WatchSink;
import io.cairn.node.store.Event;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The watchers of one tree. Lives on the state machine's thread, like the tree itself: a watcher
 * is registered, replayed from history and then fed each applied revision all on that thread, so
 * no revision can slip between the replay and the live feed. The simulator drives it the same way
 * (one thread, its own tree), so watches there go through this code too.
 *
 * <p>Revisions may be handed over for later ({@link #publishLater}): the member applies a write,
 * answers it and sends its commit notices first, and feeds its watchers in a task of its own
 * after those have left (each watching connection is a write on the member's loop, and the
 * answer and the notices used to leave behind all of them). Anything else done to the watchers
 * first feeds them what waits, so they see the same sequence as if it had been fed at once.
 */
public final class WatchHub {
    public final class Watcher implements WatchHandle {
        private final Glob glob;
        private final boolean once;
        private final WatchSink sink;
        private final Runnable onCancel;
        private boolean ended;
        /** The first revision it asked for: a member behind it must not hand it older ones as it catches up. */
        private long from;

        public Watcher(Glob glob, boolean once, WatchSink sink, Runnable onCancel) {
            this.glob = glob;
            this.once = once;
            this.sink = sink;
            this.onCancel = onCancel;
        }

        @Override
        public void cancel() {
            onCancel.run();
        }

        public void cancelOnThread() {
            publishDeferred();
            if (!ended) {
                finish(null);
            }
        }

        private void finish(StoreException error) {
            ended = true;
            watchers.remove(this);
            sink.end(error);
        }

        /** Hands one revision's events over; false once the watcher is gone. */
        private boolean offer(List<Event> revisionEvents) {
            if (revisionEvents.isEmpty() || revisionEvents.get(0).rev() < from) {
                return true;
            }
            List<Event> matching = null;
            for (Event e : revisionEvents) {
                if (glob.matches(e.path()) && sink.accepts(e.path())) {
                    if (matching == null) {
                        matching = new ArrayList<>();
                    }
                    matching.add(e);
                }
            }
            if (matching == null) {
                return true;
            }
            if (!sink.deliver(matching)) {
                ended = true;
                watchers.remove(this);
                return false;
            }
            if (once) {
                finish(null);
                return false;
            }
            return true;
        }
    }

    private final Set<Watcher> watchers = new LinkedHashSet<>();
    /** Revisions applied and not yet fed to the watchers, oldest first. */
    private final ArrayDeque<List<Event>> deferred = new ArrayDeque<>();

    /** Watchers (and waits) registered now. */
    int size() {
        return watchers.size();
    }

    /** Registers a watcher and replays what it missed. Must run on the tree's thread. */
    public void register(Watcher w, VersionedTree tree, long fromRev) {
        publishDeferred(); // those revisions are in the tree already: this watcher's replay covers them
        long from = fromRev <= 0 ? tree.rev() + 1 : fromRev;
        // A watch resumed on a member that is behind (a client failed over from one ahead of
        // it) starts past the member's tree: the revisions it catches up on first are not news.
        w.from = from;
        if (from <= tree.rev() && !replay(w, tree, from)) {
            return;
        }
        watchers.add(w);
    }

    /**
     * Hands {@code w} the revisions from {@code from} to the tree's from its history; false when
     * the watcher ended on the way (those revisions are no longer kept: TOO_LATE, before anything
     * is sent; or it is done).
     */
    private static boolean replay(Watcher w, VersionedTree tree, long from) {
        try {
            tree.eventsFrom(from, w.glob, 1);
        } catch (StoreException e) {
            w.finish(e);
            return false;
        }
        for (long r = from; r <= tree.rev(); r++) {
            if (!w.offer(tree.eventsOf(r))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The tree was replaced by a snapshot's (installed from the leader) that jumped from revision
     * {@code before} to {@code tree.rev()}: every watcher gets the revisions in between from the
     * snapshot's history, or, if they are older than it keeps, ends TOO_LATE so that its client
     * reads afresh. Before this, such a watcher went on from the snapshot's revision and missed
     * every change in between without a word. Must run on the tree's thread.
     */
    public void restored(VersionedTree tree, long before) {
        publishDeferred();
        if (watchers.isEmpty() || tree.rev() <= before) {
            return;
        }
        for (Watcher w : List.copyOf(watchers)) {
            if (!w.ended) {
                replay(w, tree, before + 1);
            }
        }
    }

    /** Ends every watch with {@code error} (the member can serve them no longer). Must run on the tree's thread. */
    public void endAll(StoreException error) {
        publishDeferred();
        for (Watcher w : List.copyOf(watchers)) {
            if (!w.ended) {
                w.finish(error);
            }
        }
    }

    /** Feeds one applied revision to every watcher, after any handed over for later. Must run on the tree's thread. */
    public void publish(List<Event> events) {
        publishDeferred();
        feed(events);
    }

    /**
     * Keeps one applied revision for {@link #publishDeferred}; nothing when nobody watches (a
     * watcher registered meanwhile replays it from the tree). Must run on the tree's thread.
     */
    public void publishLater(List<Event> events) {
        if (!events.isEmpty() && !watchers.isEmpty()) {
            deferred.add(events);
        }
    }

    /** Whether revisions wait for {@link #publishDeferred}. */
    public boolean hasDeferred() {
        return !deferred.isEmpty();
    }

    /** Feeds the watchers every revision handed over for later, in order. Must run on the tree's thread. */
    public void publishDeferred() {
        for (List<Event> events; (events = deferred.poll()) != null; ) {
            feed(events);
        }
    }

    private void feed(List<Event> events) {
        if (events.isEmpty() || watchers.isEmpty()) {
            return;
        }
        for (Watcher w : List.copyOf(watchers)) {
            if (!w.ended) {
                w.offer(events);
            }
        }
    }
}
