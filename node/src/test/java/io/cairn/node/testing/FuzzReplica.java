package io.cairn.node.testing;

import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Peer.Member;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One real replica (consensus core, log, tree) of a cluster of one, for fuzz targets that drive
 * the code in front of it: millions of inputs share it, so it is made once per JVM. Its log lives
 * in memory-backed storage where there is some (/dev/shm): an fsync there costs nothing, and the
 * targets are after the request paths, not the disk.
 */
public final class FuzzReplica {
    public static final int MAX_VALUE = 4096;
    private static Replica kv;

    private FuzzReplica() {}

    public static synchronized Replica get() {
        if (kv == null) {
            try {
                Path shm = Path.of("/dev/shm");
                Path dir = Files.isDirectory(shm) && Files.isWritable(shm)
                        ? Files.createTempDirectory(shm, "cairn-fuzz") : Files.createTempDirectory("cairn-fuzz");
                ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "cairn-fuzz-replica");
                    t.setDaemon(true);
                    return t;
                });
                Replica s = Replica.open(1, List.of(Member.newBuilder().setId(1).build()), dir,
                        new StoreConfig(200, MAX_VALUE), Replica.Options.defaults(), loop, () -> { });
                s.start(m -> { });
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!s.isReady()) {
                    if (System.nanoTime() > end) {
                        throw new IllegalStateException("the fuzz replica did not become ready");
                    }
                    Thread.sleep(5);
                }
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    s.close();
                    TempDirs.deleteTree(dir);
                }));
                kv = s;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return kv;
    }

    /**
     * Deletes every file (but /ctl) once there are more than a few thousand: millions of inputs
     * would otherwise grow the tree without end, and listing a directory costs a walk of the
     * files under it (an offline run slowed from thousands of inputs a second to hundreds).
     * Called between inputs, before a target measures the revision.
     */
    public static void keepSmall() {
        Replica s = get();
        if (s.read(VersionedTree::fileCount, true).join() <= 2_000) {
            return;
        }
        java.util.List<String> paths = s.read(t -> t.walk(io.cairn.node.store.Glob.compile("/**"), t.rev(), 0, Integer.MAX_VALUE)
                .items().stream().map(io.cairn.node.store.FileEntry::path).filter(p -> !p.startsWith("/ctl/")).toList(), true).join();
        for (int i = 0; i < paths.size(); i += 500) {
            io.cairn.proto.State.Txn.Builder txn = io.cairn.proto.State.Txn.newBuilder();
            for (String p : paths.subList(i, Math.min(paths.size(), i + 500))) {
                txn.addSuccess(io.cairn.proto.State.Op.newBuilder().setKind(io.cairn.proto.State.Op.Kind.DEL).setPath(p).setRev(-1));
            }
            s.write(io.cairn.proto.State.Command.newBuilder().setTxn(txn).build()).join();
        }
    }

    /** The replica's current revision, read through its own thread. */
    public static long rev() {
        return get().read(VersionedTree::rev, true).join();
    }
}
