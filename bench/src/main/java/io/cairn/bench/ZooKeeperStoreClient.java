package io.cairn.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The workloads through the ZooKeeper client. A linearizable read is {@code sync} then
 * {@code getData} (ZooKeeper's reads are otherwise served by the member asked); a watch is a
 * persistent recursive watch; a session is a ZooKeeper session, so a connection of its own.
 */
final class ZooKeeperStoreClient implements StoreClient {
    private static final int SESSION_TIMEOUT_MS = 10_000;
    private final String connect;
    private final ZooKeeper zk;

    ZooKeeperStoreClient(String connect) throws Exception {
        this.connect = connect;
        this.zk = connected(connect);
    }

    private static ZooKeeper connected(String connect) throws Exception {
        CountDownLatch up = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connect, SESSION_TIMEOUT_MS, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                up.countDown();
            }
        });
        if (!up.await(SESSION_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            zk.close();
            throw new TimeoutException("no ZooKeeper session with " + connect);
        }
        return zk;
    }

    @Override
    public void put(String key, byte[] value) throws Exception {
        try {
            zk.setData(key, value, -1);
        } catch (KeeperException.NoNodeException e) {
            create(zk, key, value, CreateMode.PERSISTENT);
        }
    }

    @Override
    public CompletableFuture<?> putAsync(String key, byte[] value) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        zk.setData(key, value, -1, (rc, path, ctx, stat) -> complete(done, rc, path), null);
        return done;
    }

    @Override
    public CompletableFuture<?> createAsync(String key, byte[] value) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        zk.create(key, value, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, (rc, path, ctx, name) -> complete(done, rc, path), null);
        return done;
    }

    /** An asynchronous call's result code, onto its future. */
    private static void complete(CompletableFuture<Void> done, int rc, String path) {
        if (rc == KeeperException.Code.OK.intValue()) {
            done.complete(null);
        } else {
            done.completeExceptionally(KeeperException.create(KeeperException.Code.get(rc), path));
        }
    }

    @Override
    public void ensureParent(String dir) throws Exception {
        if (zk.exists(dir, false) == null) {
            try {
                create(zk, dir, new byte[0], CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException raced) {
                // made by another client first
            }
        }
    }

    /** Creates {@code key} (and any missing parents), or sets it if another client just did. */
    private static void create(ZooKeeper zk, String key, byte[] value, CreateMode mode) throws Exception {
        int slash = key.lastIndexOf('/');
        if (slash > 0 && zk.exists(key.substring(0, slash), false) == null) {
            try {
                create(zk, key.substring(0, slash), new byte[0], CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException raced) {
                // another worker made the parent first
            }
        }
        try {
            zk.create(key, value, ZooDefs.Ids.OPEN_ACL_UNSAFE, mode);
        } catch (KeeperException.NodeExistsException raced) {
            zk.setData(key, value, -1);
        }
    }

    @Override
    public byte[] get(String key, boolean linearizable) throws Exception {
        if (linearizable) {
            // Requests on one session are answered in order, so the read below waits for the sync.
            zk.sync(key, (rc, path, ctx) -> { }, null);
        }
        return zk.getData(key, false, null);
    }

    @Override
    public AutoCloseable watchPrefix(String prefix, Consumer<String> onKey) throws Exception {
        if (zk.exists(prefix, false) == null) {
            try {
                create(zk, prefix, new byte[0], CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException raced) {
                // fine
            }
        }
        Watcher w = e -> {
            if (e.getPath() != null && e.getType() != Watcher.Event.EventType.None) {
                onKey.accept(e.getPath());
            }
        };
        zk.addWatch(prefix, w, AddWatchMode.PERSISTENT_RECURSIVE);
        return () -> zk.removeWatches(prefix, w, Watcher.WatcherType.Any, true);
    }

    @Override
    public void registerAndLeave(String key, byte[] value) throws Exception {
        ZooKeeper session = connected(connect);
        try {
            create(session, key, value, CreateMode.EPHEMERAL);
        } finally {
            session.close();
        }
    }

    @Override
    public void close() throws InterruptedException {
        zk.close();
    }
}
