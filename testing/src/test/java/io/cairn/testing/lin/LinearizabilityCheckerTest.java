package io.cairn.testing.lin;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.testing.lin.KvModel.Input;
import io.cairn.testing.lin.KvModel.Output;
import io.cairn.testing.lin.KvModel.RevCompare;
import io.cairn.testing.lin.KvModel.TxnWrite;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
    static Operation op(int client, long call, long ret, Input in, Output out) {
        return new Operation(client, call, ret, in, out);
    }

    @Test
    void sequentialHistoryIsLinearizable() {
        List<Operation> h = List.of(
                op(0, 0, 1, Input.set("/a", "1", 0), Output.wrote(1)),
                op(0, 2, 3, Input.get("/a"), Output.read("1", 1)),
                op(0, 4, 5, Input.set("/a", "2", 1), Output.wrote(2)),
                op(0, 6, 7, Input.del("/a", 2), Output.wrote(3)),
                op(0, 8, 9, Input.get("/a"), Output.read(null, 0)));
        assertThat(LinearizabilityChecker.check(h).linearizable()).isTrue();
    }

    /**
     * Writes whose clients gave up (no return time) but whose revisions the replicas tell, called
     * in the reverse of their revision order, with revisions that may skip (as the simulator's
     * do: presence writes are not in its history): only one order fits, and a search that tried the
     * others went down every subset of them (2^20 here) before answering. Simulator seed 469
     * with membership changes, once commit notices went unanswered, ended with such a history
     * the search could not decide in 20 million steps.
     */
    @Test
    void writesOfUnknownReturnButKnownRevisionAreDecidedWithoutSearchingEveryOrder() {
        List<Operation> h = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            h.add(op(i, i, Operation.UNKNOWN, Input.set("/k" + i, "v", -1), Output.wrote(20 - i)));
        }
        h.add(op(20, 30, 31, Input.get("/k0"), Output.read("v", 20)));
        assertThat(LinearizabilityChecker.check(h, KvModel.State.empty(), 10_000, true).linearizable()).isTrue();

        // Once the last of them was read, a read that misses the first: decided, and refused.
        List<Operation> stale = new ArrayList<>(h);
        stale.add(op(20, 32, 33, Input.get("/k19"), Output.read(null, 0)));
        LinearizabilityChecker.Result r = LinearizabilityChecker.check(stale, KvModel.State.empty(), 10_000, true);
        assertThat(r.linearizable()).isFalse();
        assertThat(r.detail()).startsWith("no linearization");
    }

    @Test
    void staleReadAfterAcknowledgedWriteIsRejected() {
        List<Operation> h = List.of(
                op(0, 0, 1, Input.set("/a", "1", -1), Output.wrote(1)),
                op(0, 2, 3, Input.set("/a", "2", -1), Output.wrote(2)),
                op(1, 4, 5, Input.get("/a"), Output.read("1", 1)));
        LinearizabilityChecker.Result r = LinearizabilityChecker.check(h);
        assertThat(r.linearizable()).isFalse();
        assertThat(r.detail()).startsWith("no linearization");
    }

    @Test
    void overlappingReadMaySeeEitherValue() {
        List<Operation> h = List.of(
                op(0, 0, 1, Input.set("/a", "1", -1), Output.wrote(1)),
                op(0, 2, 10, Input.set("/a", "2", -1), Output.wrote(2)),
                op(1, 3, 4, Input.get("/a"), Output.read("1", 1)),
                op(2, 5, 6, Input.get("/a"), Output.read("2", 2)));
        assertThat(LinearizabilityChecker.check(h).linearizable()).isTrue();
        // But once a reader saw the new value, a later read may not go back.
        List<Operation> back = new ArrayList<>(h);
        back.add(op(1, 7, 8, Input.get("/a"), Output.read("1", 1)));
        assertThat(LinearizabilityChecker.check(back).linearizable()).isFalse();
    }

    @Test
    void twoCasFromTheSameRevCannotBothWin() {
        List<Operation> h = List.of(
                op(0, 0, 1, Input.set("/a", "0", -1), Output.wrote(1)),
                op(1, 2, 5, Input.set("/a", "x", 1), Output.wrote(2)),
                op(2, 2, 5, Input.set("/a", "y", 1), Output.wrote(3)));
        assertThat(LinearizabilityChecker.check(h).linearizable()).isFalse();
        List<Operation> ok = List.of(h.get(0), h.get(1),
                op(2, 2, 5, Input.set("/a", "y", 1), Output.refused(KvModel.Error.REV_MISMATCH)));
        assertThat(LinearizabilityChecker.check(ok).linearizable()).isTrue();
    }

    @Test
    void lostWriteIsRejected() {
        List<Operation> h = List.of(
                op(0, 0, 1, Input.set("/a", "1", -1), Output.wrote(1)),
                op(0, 2, 3, Input.set("/b", "1", -1), Output.wrote(2)),
                op(1, 4, 5, Input.get("/a"), Output.read(null, 0)));
        assertThat(LinearizabilityChecker.check(h).linearizable()).isFalse();
    }

    @Test
    void unknownOutcomeMayOrMayNotHaveHappened() {
        List<Operation> applied = List.of(
                op(0, 0, Operation.UNKNOWN, Input.set("/a", "1", -1), null),
                op(1, 5, 6, Input.get("/a"), Output.read("1", 1)));
        List<Operation> notApplied = List.of(
                op(0, 0, Operation.UNKNOWN, Input.set("/a", "1", -1), null),
                op(1, 5, 6, Input.get("/a"), Output.read(null, 0)));
        assertThat(LinearizabilityChecker.check(applied).linearizable()).isTrue();
        assertThat(LinearizabilityChecker.check(notApplied).linearizable()).isTrue();
    }

    @Test
    void transactionsAreAtomic() {
        Input txn = Input.txn(List.of(new RevCompare("/a", 0)),
                List.of(new TxnWrite("/a", "1"), new TxnWrite("/b", "1")));
        List<Operation> ok = List.of(
                op(0, 0, 1, txn, Output.txn(true, 1)),
                op(1, 2, 3, Input.get("/b"), Output.read("1", 1)),
                op(1, 4, 5, txn, Output.txn(false, 1)));
        assertThat(LinearizabilityChecker.check(ok).linearizable()).isTrue();
        // Seeing half a transaction is impossible.
        List<Operation> torn = List.of(
                op(0, 0, 10, txn, Output.txn(true, 1)),
                op(1, 2, 3, Input.get("/a"), Output.read("1", 1)),
                op(1, 4, 5, Input.get("/b"), Output.read(null, 0)));
        assertThat(LinearizabilityChecker.check(torn).linearizable()).isFalse();
    }

    /** A real concurrent execution against a sequential store, so it is linearizable by construction. */
    static List<Operation> generated(int ops, int clients, long seed) {
        Random rnd = new Random(seed);
        KvModel.State s = KvModel.State.empty();
        List<Operation> h = new ArrayList<>();
        long[] busyUntil = new long[clients];
        long time = 0;
        for (int i = 0; i < ops; i++) {
            int c = rnd.nextInt(clients);
            long call = Math.max(time, busyUntil[c]) + rnd.nextInt(3);
            long at = call + rnd.nextInt(5);      // the moment it takes effect
            long ret = at + rnd.nextInt(5);
            String path = "/k" + rnd.nextInt(4);
            Input in;
            Output out;
            int kind = rnd.nextInt(3);
            if (kind == 0) {
                in = Input.get(path);
                out = Output.read(s.values.get(path), s.fileRev(path));
            } else {
                long expected = rnd.nextBoolean() ? -1 : s.fileRev(path) + rnd.nextInt(2);
                in = Input.set(path, "v" + i, expected);
                KvModel.State next = KvModel.step(s, in, null);
                out = next == s ? Output.refused(KvModel.Error.REV_MISMATCH) : Output.wrote(next.rev);
                s = next;
            }
            h.add(op(c, call, ret, in, out));
            busyUntil[c] = ret + 1;
            time = at;
        }
        return h;
    }

    @Test
    void handlesTenThousandOperations() {
        List<Operation> h = generated(12_000, 8, 42);
        long start = System.nanoTime();
        LinearizabilityChecker.Result r = LinearizabilityChecker.check(h);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.linearizable()).as(r.detail()).isTrue();
        System.out.println("checked " + h.size() + " operations in " + ms + " ms");
    }

    @Test
    void findsOneBadReadInALongHistory() {
        List<Operation> h = new ArrayList<>(generated(5_000, 6, 7));
        // A read far in the future that reports a value from the very start.
        long end = h.stream().mapToLong(Operation::ret).max().orElseThrow();
        Operation first = h.stream().filter(o -> o.input().kind() == KvModel.Kind.SET && o.output().error() == null).findFirst().orElseThrow();
        h.add(op(99, end + 10, end + 11, Input.get(first.input().path()), Output.read(first.input().value(), first.output().rev())));
        h.add(op(98, end + 1, end + 2, Input.set(first.input().path(), "overwritten", -1), Output.wrote(
                h.stream().filter(o -> o.output() != null && o.output().error() == null && o.input().kind() != KvModel.Kind.GET)
                        .mapToLong(o -> o.output().rev()).max().orElseThrow() + 1)));
        assertThat(LinearizabilityChecker.check(h).linearizable()).isFalse();
    }
}
