package io.cairn.node.server;

import io.cairn.node.store.Event;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The watchers of one tree. Lives on the state machine's thread, like the tree itself: a watcher
 * is registered, replayed from history and then fed each applied revision all on that thread, so
 * no revision can slip between the replay and the live feed.
 */
final class WatchHub {
    final class Watcher implements WatchHandle {
        private final Glob glob;
        private final boolean once;
        private final WatchSink sink;
        private final Runnable onCancel;
        private boolean ended;

        Watcher(Glob glob, boolean once, WatchSink sink, Runnable onCancel) {
            this.glob = glob;
            this.once = once;
            this.sink = sink;
            this.onCancel = onCancel;
        }

        @Override
        public void cancel() {
            onCancel.run();
        }

        void cancelOnThread() {
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
            List<Event> matching = null;
            for (Event e : revisionEvents) {
                if (glob.matches(e.path())) {
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

    /** Registers a watcher and replays what it missed. Must run on the tree's thread. */
    void register(Watcher w, VersionedTree tree, long fromRev) {
        long from = fromRev <= 0 ? tree.rev() + 1 : fromRev;
        if (from <= tree.rev()) {
            try {
                // Validates the window (TOO_LATE) before anything is sent.
                tree.eventsFrom(from, w.glob, 1);
            } catch (StoreException e) {
                w.ended = true;
                w.sink.end(e);
                return;
            }
            for (long r = from; r <= tree.rev(); r++) {
                if (!w.offer(tree.eventsOf(r))) {
                    return;
                }
            }
        }
        watchers.add(w);
    }

    /** Feeds one applied revision to every watcher. Must run on the tree's thread. */
    void publish(List<Event> events) {
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
