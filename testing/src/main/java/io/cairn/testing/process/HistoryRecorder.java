package io.cairn.testing.process;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.NoEntException;
import io.cairn.client.RevMismatchException;
import io.cairn.client.Versioned;
import io.cairn.testing.lin.KvModel.Error;
import io.cairn.testing.lin.KvModel.Input;
import io.cairn.testing.lin.KvModel.Output;
import io.cairn.testing.lin.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A client that runs random reads, CAS writes, clobbers and deletes on a few keys and records
 * each as an {@link Operation} with real call and return times. A write that fails without a
 * definite answer (timeout, lost connection, leader lost) is recorded with an unknown outcome.
 */
public final class HistoryRecorder implements Runnable {
    public static final String[] KEYS = {"/p/a", "/p/b", "/p/c", "/p/d"};

    /** An acknowledged write: this value was at this path at this revision. */
    public record Ack(String path, String value, long rev) {}

    private final int client;
    private final CairnClient cairn;
    private final AtomicBoolean stop;
    private final Random random;
    public final List<Operation> history = new ArrayList<>();
    public final List<Ack> acks = new ArrayList<>();
    /** Call and return times of acknowledged writes (guarded by ackTimes). */
    public final List<Long> ackTimes = new ArrayList<>();
    public final List<Long> ackCalls = new ArrayList<>();
    public int failures;

    public HistoryRecorder(int client, CairnClient cairn, AtomicBoolean stop, long seed) {
        this.client = client;
        this.cairn = cairn;
        this.stop = stop;
        this.random = new Random(seed);
    }

    @Override
    public void run() {
        long lastRev = 0;
        int n = 0;
        while (!stop.get()) {
            String path = KEYS[random.nextInt(KEYS.length)];
            int kind = random.nextInt(10);
            long call = System.nanoTime();
            if (kind < 4) {
                try {
                    Versioned v = cairn.get(path);
                    history.add(new Operation(client, call, System.nanoTime(), Input.get(path),
                            Output.read(v.exists() ? v.text() : null, Math.max(0, v.rev()))));
                    lastRev = Math.max(0, v.rev());
                } catch (CairnException e) {
                    failures++; // a read with no answer had no effect
                }
                continue;
            }
            boolean delete = kind == 9;
            long expected = random.nextBoolean() ? -1 : lastRev;
            String value = "c" + client + "-" + (n++);
            Input in = delete ? Input.del(path, expected) : Input.set(path, value, expected);
            try {
                long rev = delete ? cairn.del(path, expected) : cairn.set(path, value, expected);
                long ret = System.nanoTime();
                history.add(new Operation(client, call, ret, in, Output.wrote(rev)));
                if (!delete) {
                    acks.add(new Ack(path, value, rev));
                    synchronized (ackTimes) {
                        ackCalls.add(call);
                        ackTimes.add(ret);
                    }
                }
            } catch (RevMismatchException e) {
                history.add(new Operation(client, call, System.nanoTime(), in, Output.refused(Error.REV_MISMATCH)));
            } catch (NoEntException e) {
                history.add(new Operation(client, call, System.nanoTime(), in, Output.refused(Error.NOENT)));
            } catch (CairnException e) {
                failures++;
                history.add(new Operation(client, call, Operation.UNKNOWN, in, null));
            }
        }
    }
}
