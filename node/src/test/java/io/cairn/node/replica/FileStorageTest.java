package io.cairn.node.replica;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.proto.Peer.WalRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The log is written by its own thread, or by the replica's loop when a follower's batch finds it
 * idle; either way every batch reaches the disk, in the order appended, and its durability is told.
 */
class FileStorageTest {
    private final ExecutorService loop = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-loop"));
    /** Each durable report: the position and the thread that reported it. */
    private final LinkedBlockingQueue<String> durable = new LinkedBlockingQueue<>();

    @AfterEach
    void stop() {
        loop.shutdownNow();
    }

    private static List<WalRecord> commit(long c) {
        return List.of(WalRecord.newBuilder().setCommit(c).build());
    }

    private FileStorage open(Path dir) throws IOException {
        return open(dir, loop);
    }

    private FileStorage open(Path dir, java.util.concurrent.Executor on) throws IOException {
        FileStorage s = new FileStorage(1, dir, on);
        s.recover();
        s.start(new ReplicaStorage.Listener() {
            @Override
            public void durable(long position, int records) {
                durable.add(position + "@" + Thread.currentThread().getName());
            }

            @Override
            public void failed(IOException e) {
                durable.add("failed: " + e.getMessage());
            }
        });
        return s;
    }

    private String nextDurable() throws InterruptedException {
        String d = durable.poll(10, TimeUnit.SECONDS);
        assertThat(d).as("a durable report").isNotNull();
        return d;
    }

    private static List<Long> commitsOnDisk(Path dir) throws IOException {
        FileStorage again = new FileStorage(1, dir, Runnable::run);
        try {
            return again.recover().log().stream().map(WalRecord::getCommit).toList();
        } finally {
            again.close();
        }
    }

    /** A batch that may be written on the loop is, when the log is idle; one that may not goes through the log thread. */
    @ParameterizedTest
    @CsvSource({"true, test-loop", "false, cairn-wal-1"})
    void anIdleLogIsWrittenWhereTheAppendAllows(boolean onLoop, String writer, @TempDir Path dir) throws Exception {
        FileStorage s = open(dir);
        long position = loop.submit(() -> s.append(commit(7), onLoop)).get();
        assertThat(nextDurable()).isEqualTo(position + "@" + writer);
        s.close();
        assertThat(commitsOnDisk(dir)).containsExactly(7L);
    }

    @Test
    void aLoopThatRunsTheTaskAtOnceWritesTheBatchInPlace(@TempDir Path dir) throws Exception {
        FileStorage s = open(dir, Runnable::run);
        long position = s.append(commit(9), true);
        assertThat(durable.poll()).as("reported before append returned").isEqualTo(position + "@" + Thread.currentThread().getName());
        s.close();
        assertThat(commitsOnDisk(dir)).containsExactly(9L);
    }

    @Test
    void batchesAppendedWhileOneWaitsForTheLoopFollowItInOrder(@TempDir Path dir) throws Exception {
        FileStorage s = open(dir);
        loop.submit(() -> {
            s.append(commit(1), true); // the log is idle: the loop will write this one
            s.append(commit(2), false); // queued behind it, not handed to the log thread first
            s.replaceLog(commit(3)); // the log after a snapshot: only this record
            s.append(commit(4), true);
        }).get();
        assertThat(nextDurable()).isEqualTo("4@test-loop"); // one write and sync for the four
        loop.submit(() -> s.append(commit(5), false)).get();
        assertThat(nextDurable()).isEqualTo("5@cairn-wal-1");
        s.close();
        assertThat(commitsOnDisk(dir)).containsExactly(3L, 4L, 5L);
    }

    @Test
    void theLogThreadAndTheLoopTakeTurnsWithoutLosingAWrite(@TempDir Path dir) throws Exception {
        FileStorage s = open(dir);
        int n = 400;
        for (int i = 1; i <= n; i++) {
            long c = i;
            loop.submit(() -> s.append(commit(c), c % 3 != 0));
        }
        long last = 0;
        while (last < n) {
            String d = nextDurable();
            long p = Long.parseLong(d.substring(0, d.indexOf('@')));
            assertThat(p).isGreaterThan(last);
            last = p;
        }
        s.close();
        assertThat(commitsOnDisk(dir)).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, n).boxed().toList());
    }
}
