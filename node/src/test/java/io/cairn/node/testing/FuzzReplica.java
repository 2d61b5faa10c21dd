package io.cairn.node.testing;

import io.cairn.node.server.ReplicatedKvService;
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
    private static ReplicatedKvService kv;

    private FuzzReplica() {}

    public static synchronized ReplicatedKvService get() {
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
                ReplicatedKvService s = new ReplicatedKvService(1, List.of(Member.newBuilder().setId(1).build()), dir,
                        new StoreConfig(200, MAX_VALUE), ReplicatedKvService.Options.defaults(), loop, () -> { });
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
                    deleteTree(dir);
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

    /** The replica's current revision, read through its own thread. */
    public static long rev() {
        return get().read(VersionedTree::rev, true).join();
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind
        }
    }
}
