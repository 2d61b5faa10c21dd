package io.cairn.node.replica;

import io.cairn.node.log.SnapshotBody;
import io.cairn.node.log.SnapshotStore;
import io.cairn.node.log.Wal;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.Peer.WalRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's disk: the write-ahead log under {@code wal/}, written by its own thread that
 * group-commits (one fsync for every batch of records waiting), and snapshots under {@code snap/},
 * encoded and written by a second thread so that neither stalls the member's loop. This and the
 * files below it are the part of a replica the simulator does not run: it has its own disk.
 */
public final class FileStorage implements ReplicaStorage {
    private static final Logger log = LoggerFactory.getLogger(FileStorage.class);

    private record Batch(long position, List<WalRecord> records, boolean replace) {}

    private final long member;
    private final Wal wal;
    private final SnapshotStore snapshots;
    private final LinkedBlockingQueue<Batch> queue = new LinkedBlockingQueue<>();
    private final ExecutorService snapshotWriter;
    private final Thread walThread;
    private long appended;
    private volatile boolean closed;
    private Listener listener;

    public FileStorage(long member, Path dir) throws IOException {
        this.member = member;
        this.snapshots = new SnapshotStore(dir.resolve("snap"));
        this.wal = Wal.open(dir.resolve("wal"));
        this.snapshotWriter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cairn-snapshot-" + member);
            t.setDaemon(true);
            return t;
        });
        this.walThread = new Thread(this::walLoop, "cairn-wal-" + member);
        this.walThread.setDaemon(true);
    }

    @Override
    public Recovered recover() throws IOException {
        Recovered r = new Recovered(snapshots.loadLatest(), wal.recovered(), wal.tornTailCut());
        wal.forgetRecovered();
        return r;
    }

    @Override
    public void start(Listener l) {
        this.listener = l;
        walThread.start();
    }

    @Override
    public long append(List<WalRecord> records) {
        if (!records.isEmpty()) {
            queue.add(new Batch(++appended, records, false));
        }
        return appended;
    }

    @Override
    public long replaceLog(List<WalRecord> records) {
        queue.add(new Batch(++appended, records, true));
        return appended;
    }

    @Override
    public void saveSnapshot(Supplier<SnapshotBody> encode, Consumer<IOException> done) {
        snapshotWriter.execute(() -> {
            IOException failure = null;
            try {
                snapshots.save(encode.get());
            } catch (IOException e) {
                failure = e;
            }
            done.accept(failure);
        });
    }

    @Override
    public Saved latestSnapshot() throws IOException {
        SnapshotStore.Encoded e = snapshots.latestEncoded();
        return e == null ? null : new Saved(e.slot(), e.bytes());
    }

    @Override
    public void saveInstalledSnapshot(SnapshotFile snapshot) throws IOException {
        try {
            // Through the snapshot thread, after any save in flight: one writer for the store.
            snapshotWriter.submit(() -> {
                snapshots.save(snapshot);
                return null;
            }).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("member " + member + ": interrupted while saving a snapshot", e);
        }
    }

    private void walLoop() {
        List<Batch> batch = new ArrayList<>();
        while (!closed) {
            try {
                Batch first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.clear();
                batch.add(first);
                queue.drainTo(batch);
                long last = 0;
                int records = 0;
                long began = System.nanoTime();
                for (Batch b : batch) {
                    if (b.replace()) {
                        wal.rewrite(b.records());
                    } else {
                        wal.append(b.records());
                    }
                    last = b.position();
                    records += b.records().size();
                }
                wal.sync();
                listener.durable(last, records, System.nanoTime() - began);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                listener.failed(e);
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        snapshotWriter.shutdown();
        walThread.interrupt();
        try {
            // A snapshot being written finishes first, so a member reopened on this directory
            // never races with it.
            snapshotWriter.awaitTermination(10, TimeUnit.SECONDS);
            walThread.join(2000);
            wal.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.warn("member {}: closing the log: {}", member, e.getMessage());
        }
    }
}
