package io.cairn.node.server;

import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Msg.Response.Err;
import io.cairn.proto.State.Command;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single node's store: the tree and its watchers on one thread, writes applied as they arrive.
 * The thread is the edge where the pure tree meets concurrency; nothing else touches the tree.
 */
public final class LocalKvService implements KvService, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalKvService.class);

    private final long nodeId;
    private final VersionedTree tree;
    private final WatchHub hub = new WatchHub();
    private final ExecutorService thread;

    public LocalKvService(long nodeId, VersionedTree tree) {
        this.nodeId = nodeId;
        this.tree = tree;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cairn-apply-" + nodeId);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public long nodeId() {
        return nodeId;
    }

    @Override
    public <T> CompletableFuture<T> read(Function<VersionedTree, T> read) {
        return submit(() -> read.apply(tree));
    }

    @Override
    public CompletableFuture<ApplyResult> write(Command command) {
        return submit(() -> {
            ApplyResult result = tree.apply(command);
            hub.publish(result.events());
            return result;
        });
    }

    @Override
    public WatchHandle watch(Glob glob, long fromRev, boolean once, WatchSink sink) {
        WatchHub.Watcher[] self = new WatchHub.Watcher[1];
        WatchHub.Watcher w = hub.new Watcher(glob, once, sink, () -> execute(() -> self[0].cancelOnThread()));
        self[0] = w;
        execute(() -> hub.register(w, tree, fromRev));
        return w;
    }

    private <T> CompletableFuture<T> submit(Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        boolean queued = execute(() -> {
            try {
                f.complete(task.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        if (!queued) {
            f.completeExceptionally(new StoreException(Err.UNAVAILABLE, "node " + nodeId + " is shutting down"));
        }
        return f;
    }

    private boolean execute(Runnable task) {
        try {
            thread.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            log.debug("node {}: store closed, dropping a task", nodeId);
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        thread.shutdown();
        thread.awaitTermination(5, TimeUnit.SECONDS);
    }
}
