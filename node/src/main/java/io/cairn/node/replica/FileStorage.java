package io.cairn.node.replica;

import io.cairn.net.WriteTrace;
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
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's disk: the write-ahead log under {@code wal/}, written by its own thread that
 * group-commits (one fsync for every batch of records waiting), and snapshots under {@code snap/},
 * encoded and written by a second thread so that neither stalls the member's loop. The member's
 * loop writes and syncs a batch itself when the log has been idle and it is asked to (see
 * {@link #syncOnLoop}); the two never write at once, and batches reach the log in the order they
 * were appended. This and the files below it are the part of a replica the simulator does not
 * run: it has its own disk.
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
    /** The last position written and synced: when it is the last appended, nothing waits for the log. */
    private volatile long written;
    /** When the last write and sync ended ({@link System#nanoTime()}). */
    private volatile long writeEnded;
    /** Held while the log is written and synced, by the log thread or on the loop. */
    private final ReentrantLock writing = new ReentrantLock();
    /** The replica's loop, which writes and syncs a batch itself when asked and the log is idle. */
    private final Executor loop;
    /** Batches the loop will write itself, in order; null when none is waiting. Loop only. */
    private List<Batch> onLoop;
    private volatile boolean broken;
    private volatile boolean closed;
    private Listener listener;

    /** {@code loop} is the replica's: appends are made on it, and it may write them itself. */
    public FileStorage(long member, Path dir, Executor loop) throws IOException {
        this.member = member;
        this.loop = loop;
        this.writeEnded = System.nanoTime() - IDLE_NANOS;
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
        return append(records, false);
    }

    @Override
    public long append(List<WalRecord> records, boolean onCallerWhenIdle) {
        if (records.isEmpty()) {
            return appended;
        }
        Batch b = new Batch(++appended, records, false);
        if (onLoop != null) {
            onLoop.add(b); // after the batch already waiting for the loop, in order
        } else if (onCallerWhenIdle && idle(b.position())) {
            onLoop = new ArrayList<>();
            onLoop.add(b); // before the task is handed over: an executor may run it at once
            if (!scheduleOnLoop()) {
                onLoop = null;
                queue.add(b);
            }
        } else {
            queue.add(b);
        }
        return b.position();
    }

    @Override
    public long replaceLog(List<WalRecord> records) {
        Batch b = new Batch(++appended, records, true);
        if (onLoop != null) {
            onLoop.add(b);
        } else {
            queue.add(b);
        }
        return b.position();
    }

    /**
     * Whether the log has nothing to write before {@code position} and has been quiet for a
     * while: under a steady stream of writes the log thread's group commit serves better, as the
     * loop goes on reading while the disk syncs.
     */
    private boolean idle(long position) {
        return written == position - 1 && !broken && !closed && System.nanoTime() - writeEnded >= IDLE_NANOS;
    }

    /** How long the log must have been quiet for the loop to write a batch itself. */
    private static final long IDLE_NANOS = 100_000;

    private boolean scheduleOnLoop() {
        try {
            loop.execute(this::syncOnLoop);
            return true;
        } catch (RejectedExecutionException shutDown) {
            return false;
        }
    }

    /**
     * Writes and syncs, on the loop, the batches appended to be written there. Handing a batch to
     * the log thread and its durability back to the loop cost two thread wake-ups on the path of
     * a write, a follower's accept as the leader's own record: in one client's writes (the
     * benchmark's {@code --floor}) a follower's log thread started writing about 35 µs after the
     * accept was read, and the loop learned of the sync about 5-20 µs after it ended. A task
     * queued behind the ones already waiting, so the messages that may leave before the records
     * are durable are written first.
     */
    private void syncOnLoop() {
        List<Batch> batches = onLoop;
        onLoop = null;
        if (broken || closed || !writing.tryLock()) {
            queue.addAll(batches);
            return;
        }
        try {
            write(batches);
        } catch (IOException e) {
            broken = true;
            listener.failed(e);
        } finally {
            writing.unlock();
        }
    }

    private void write(List<Batch> batches) throws IOException {
        long last = 0;
        int records = 0;
        long began = System.nanoTime();
        WriteTrace.mark(WriteTrace.Stage.LOG_WRITE);
        for (Batch b : batches) {
            if (b.replace()) {
                wal.rewrite(b.records());
            } else {
                wal.append(b.records());
            }
            last = b.position();
            records += b.records().size();
        }
        wal.sync();
        WriteTrace.mark(WriteTrace.Stage.LOG_SYNCED);
        written = last;
        writeEnded = System.nanoTime();
        listener.durable(last, records, System.nanoTime() - began);
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
                long start = System.nanoTime();
                snapshots.save(snapshot);
                log.info("member {}: saved the leader's snapshot at slot {} in {} ms", member, snapshot.getSlot(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
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
                writing.lock();
                try {
                    write(batch);
                } finally {
                    writing.unlock();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                broken = true;
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
            writing.lock(); // after a write the loop makes itself
            try {
                wal.close();
            } finally {
                writing.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.warn("member {}: closing the log: {}", member, e.getMessage());
        }
    }
}
