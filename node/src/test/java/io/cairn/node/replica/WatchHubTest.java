package io.cairn.node.replica;

import io.cairn.node.server.WatchSink;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.store.Err;
import io.cairn.node.store.Event;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Watches across a snapshot install: the member's tree jumps ahead, its watchers must not. */
class WatchHubTest {
    private static void set(VersionedTree t, String path, String value) {
        t.apply(Command.newBuilder().setTxn(Txn.newBuilder().addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath(path)
                .setValue(ByteString.copyFromUtf8(value)).setRev(-1))).build());
    }

    private static final class Recorder implements WatchSink {
        final List<Long> revs = new ArrayList<>();
        StoreException ended;

        @Override
        public boolean deliver(List<Event> events) {
            events.forEach(e -> revs.add(e.rev()));
            return true;
        }

        @Override
        public void end(StoreException error) {
            ended = error;
        }
    }

    @Test
    void aSnapshotInstalledAheadReplaysTheRevisionsInBetween() {
        VersionedTree leader = new VersionedTree(new StoreConfig(100, 1024));
        for (int i = 1; i <= 3; i++) {
            set(leader, "/w/a", "v" + i);
        }
        VersionedTree follower = VersionedTree.restore(leader.snapshot(0), leader.config());
        WatchHub hub = new WatchHub();
        Recorder r = new Recorder();
        hub.register(hub.new Watcher(Glob.compile("/w/**"), false, r, () -> { }), follower, follower.rev() + 1);
        for (int i = 4; i <= 9; i++) {
            set(leader, i % 2 == 0 ? "/w/a" : "/other", "v" + i);
        }
        // The follower fell behind and installs the leader's snapshot (with its history).
        VersionedTree installed = VersionedTree.restore(leader.snapshot(0), leader.config());
        hub.restored(installed, follower.rev());
        assertThat(r.revs).as("every matching revision between, once, in order").containsExactly(4L, 6L, 8L);
        set(installed, "/w/b", "live");
        hub.publish(installed.eventsOf(installed.rev()));
        assertThat(r.revs).containsExactly(4L, 6L, 8L, 10L);
        assertThat(r.ended).isNull();
    }

    @Test
    void aSnapshotPastTheWatchersPositionEndsItTooLate() {
        VersionedTree leader = new VersionedTree(new StoreConfig(2, 1024));
        set(leader, "/w/a", "v1");
        VersionedTree follower = VersionedTree.restore(leader.snapshot(0), leader.config());
        WatchHub hub = new WatchHub();
        Recorder r = new Recorder();
        hub.register(hub.new Watcher(Glob.compile("/w/**"), false, r, () -> { }), follower, follower.rev() + 1);
        for (int i = 2; i <= 8; i++) {
            set(leader, "/w/a", "v" + i);
        }
        VersionedTree installed = VersionedTree.restore(leader.snapshot(0), leader.config());
        hub.restored(installed, follower.rev());
        assertThat(r.revs).isEmpty();
        assertThat(r.ended).isNotNull();
        assertThat(r.ended.code()).isEqualTo(Err.TOO_LATE);
        hub.publish(List.of(Event.set(9, "/w/a", new byte[] {1})));
        assertThat(r.revs).as("an ended watcher gets nothing more").isEmpty();
    }

    @Test
    void aWatchResumedOnAMemberBehindItGetsOnlyWhatItAskedFor() {
        VersionedTree behind = new VersionedTree(new StoreConfig(100, 1024));
        set(behind, "/w/a", "v1");
        WatchHub hub = new WatchHub();
        Recorder r = new Recorder();
        // The client saw up to rev 3 on a member ahead of this one, and resumes from 4 here.
        hub.register(hub.new Watcher(Glob.compile("/w/**"), false, r, () -> { }), behind, 4);
        for (int i = 2; i <= 5; i++) {
            set(behind, "/w/a", "v" + i);
            hub.publish(behind.eventsOf(behind.rev()));
        }
        assertThat(r.revs).as("revisions 2 and 3 again would be duplicates").containsExactly(4L, 5L);
    }

    @Test
    void revisionsKeptForLaterReachTheWatchersInOrderOnlyWhenPublished() {
        VersionedTree tree = new VersionedTree(new StoreConfig(100, 1024));
        WatchHub hub = new WatchHub();
        Recorder r = new Recorder();
        hub.register(hub.new Watcher(Glob.compile("/w/**"), false, r, () -> { }), tree, 0);
        set(tree, "/w/a", "v1");
        hub.publishLater(tree.eventsOf(tree.rev()));
        set(tree, "/w/b", "v2");
        hub.publishLater(tree.eventsOf(tree.rev()));
        assertThat(hub.hasDeferred()).isTrue();
        assertThat(r.revs).as("nothing before the member feeds them").isEmpty();
        set(tree, "/w/c", "v3");
        hub.publish(tree.eventsOf(tree.rev()));
        assertThat(r.revs).as("what waited goes first").containsExactly(1L, 2L, 3L);
        assertThat(hub.hasDeferred()).isFalse();
    }

    @Test
    void aWatcherRegisteredWhileRevisionsWaitGetsEachOnceFromItsReplay() {
        VersionedTree tree = new VersionedTree(new StoreConfig(100, 1024));
        WatchHub hub = new WatchHub();
        Recorder early = new Recorder();
        hub.register(hub.new Watcher(Glob.compile("/w/**"), false, early, () -> { }), tree, 0);
        set(tree, "/w/a", "v1");
        hub.publishLater(tree.eventsOf(tree.rev()));
        set(tree, "/w/a", "v2");
        hub.publishLater(tree.eventsOf(tree.rev()));
        // Registered from revision 1: both are in the tree already, and still wait to be fed.
        Recorder late = new Recorder();
        hub.register(hub.new Watcher(Glob.compile("/w/**"), false, late, () -> { }), tree, 1);
        assertThat(early.revs).as("fed before the new watcher joins").containsExactly(1L, 2L);
        hub.publishDeferred();
        assertThat(late.revs).as("from its replay, not a second time from the feed").containsExactly(1L, 2L);
        assertThat(early.revs).containsExactly(1L, 2L);
    }

    @Test
    void aCancelOrAnEndFeedsWhatWaitedFirst() {
        VersionedTree tree = new VersionedTree(new StoreConfig(100, 1024));
        WatchHub hub = new WatchHub();
        Recorder cancelled = new Recorder();
        WatchHub.Watcher w = hub.new Watcher(Glob.compile("/w/**"), false, cancelled, () -> { });
        hub.register(w, tree, 0);
        Recorder ended = new Recorder();
        hub.register(hub.new Watcher(Glob.compile("/w/**"), false, ended, () -> { }), tree, 0);
        set(tree, "/w/a", "v1");
        hub.publishLater(tree.eventsOf(tree.rev()));
        w.cancelOnThread();
        assertThat(cancelled.revs).as("applied before the cancel, so told before it").containsExactly(1L);
        set(tree, "/w/a", "v2");
        hub.publishLater(tree.eventsOf(tree.rev()));
        hub.endAll(new StoreException(Err.UNAVAILABLE, "removed"));
        assertThat(ended.revs).containsExactly(1L, 2L);
        assertThat(ended.ended.code()).isEqualTo(Err.UNAVAILABLE);
        assertThat(cancelled.revs).containsExactly(1L);
    }

    @Test
    void nothingIsKeptWhenNobodyWatches() {
        VersionedTree tree = new VersionedTree(new StoreConfig(100, 1024));
        WatchHub hub = new WatchHub();
        set(tree, "/w/a", "v1");
        hub.publishLater(tree.eventsOf(tree.rev()));
        assertThat(hub.hasDeferred()).isFalse();
    }
}
