package io.cairn.testing.lin;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides whether a history of the store is linearizable: Wing and Gong's search for an order
 * that respects real time and the sequential model, with Lowe's and Porcupine's improvements —
 * operations are taken out of a linked list of call/return events as they are linearized, and
 * each (set of linearized operations, model state) seen is remembered so no configuration is
 * explored twice.
 */
public final class LinearizabilityChecker {
    /** The verdict, with a few words on where the search got stuck when it failed. */
    public record Result(boolean linearizable, String detail) {}

    private static final class Node {
        final int op;        // index into the history
        final boolean call;
        Node match;          // the call's return, or the return's call
        Node prev;
        Node next;

        Node(int op, boolean call) {
            this.op = op;
            this.call = call;
        }
    }

    private record Config(BitSet done, KvModel.State state) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && c.done.equals(done) && c.state.equals(state);
        }

        @Override
        public int hashCode() {
            return Objects.hash(done, state);
        }
    }

    private record Frame(Node call, KvModel.State state) {}

    private LinearizabilityChecker() {}

    /** Search steps before giving up; a history that needs more is reported, never passed. */
    public static final long DEFAULT_BUDGET = 20_000_000;

    public static Result check(List<Operation> history) {
        return check(history, KvModel.State.empty(), DEFAULT_BUDGET);
    }

    public static Result check(List<Operation> history, KvModel.State initial) {
        return check(history, initial, DEFAULT_BUDGET);
    }

    public static Result check(List<Operation> history, KvModel.State initial, long budget) {
        return check(history, initial, budget, false);
    }

    /**
     * With {@code revisionGaps}, revisions may be used by writes the history does not show (a
     * real cluster writes /ctl too); writes then need only increasing revisions.
     */
    public static Result check(List<Operation> history, KvModel.State initial, long budget, boolean revisionGaps) {
        int n = history.size();
        if (n == 0) {
            return new Result(true, "empty history");
        }
        // Events in time order; at equal times calls come first, so operations that merely touch
        // count as concurrent (the cautious reading: it can only accept more histories).
        record Ev(long time, boolean call, int op) {}
        List<Ev> events = new ArrayList<>(2 * n);
        for (int i = 0; i < n; i++) {
            Operation o = history.get(i);
            if (o.ret() < o.call()) {
                throw new IllegalArgumentException("operation " + i + " returns before it is called");
            }
            events.add(new Ev(o.call(), true, i));
            events.add(new Ev(o.ret(), false, i));
        }
        events.sort(Comparator.comparingLong(Ev::time).thenComparing(e -> e.call() ? 0 : 1).thenComparingInt(Ev::op));
        Node head = new Node(-1, false);
        Node tail = head;
        Node[] calls = new Node[n];
        for (Ev e : events) {
            Node node = new Node(e.op(), e.call());
            if (e.call()) {
                calls[e.op()] = node;
            } else {
                node.match = calls[e.op()];
                calls[e.op()].match = node;
            }
            tail.next = node;
            node.prev = tail;
            tail = node;
        }

        // The last store revision each operation not yet linearized can take place at: a step
        // past the lowest of them is a dead end, found here at once rather than when that
        // operation's return comes up, which for a write whose client gave up is the end of the
        // history (a search that skipped such a write went the whole way down every branch).
        long[] lastRev = new long[n];
        TreeMap<Long, Integer> open = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            lastRev[i] = KvModel.lastRev(history.get(i).input(), history.get(i).output());
            open.merge(lastRev[i], 1, Integer::sum);
        }

        KvModel.State state = initial;
        BitSet done = new BitSet(n);
        Set<Config> seen = new HashSet<>();
        ArrayList<Frame> stack = new ArrayList<>();
        int deepest = 0;
        int blocked = -1;
        int blockedDepth = -1;
        KvModel.State blockedState = null;
        Node entry = head.next;
        long steps = 0;
        while (head.next != null) {
            if (++steps > budget) {
                return new Result(false, "undecided: the search took more than " + budget
                        + " steps (deepest prefix " + deepest + " of " + n + " operations)");
            }
            if (entry.call) {
                Operation o = history.get(entry.op);
                KvModel.State next = KvModel.step(state, o.input(), o.output(), revisionGaps);
                boolean advanced = false;
                if (next != null && lowestOpenBesides(open, lastRev[entry.op]) < next.rev) {
                    next = null; // some operation left could no longer take place
                }
                if (next != null) {
                    BitSet d = (BitSet) done.clone();
                    d.set(entry.op);
                    if (seen.add(new Config(d, next))) {
                        stack.add(new Frame(entry, state));
                        state = next;
                        done.set(entry.op);
                        take(open, lastRev[entry.op]);
                        lift(entry);
                        deepest = Math.max(deepest, stack.size());
                        entry = head.next;
                        advanced = true;
                    }
                }
                if (!advanced) {
                    entry = entry.next;
                }
            } else {
                // A return whose call could not be placed: undo the last choice.
                if (stack.size() >= deepest && (blocked < 0 || stack.size() > blockedDepth)) {
                    blocked = entry.op;
                    blockedDepth = stack.size();
                    blockedState = state;
                }
                if (stack.isEmpty()) {
                    Operation stuck = history.get(blocked >= 0 ? blocked : entry.op);
                    return new Result(false, "no linearization: after the longest linearizable prefix ("
                            + deepest + " of " + n + " operations, state " + blockedState + "), "
                            + KvModel.describe(stuck.input()) + " -> " + stuck.output() + " by client " + stuck.client()
                            + " called at " + stuck.call() + " cannot be placed");
                }
                Frame f = stack.remove(stack.size() - 1);
                state = f.state();
                done.clear(f.call().op);
                open.merge(lastRev[f.call().op], 1, Integer::sum);
                unlift(f.call());
                entry = f.call().next;
            }
        }
        return new Result(true, n + " operations linearized");
    }

    /** The lowest last revision of the operations open, leaving out one whose last revision is {@code own}. */
    private static long lowestOpenBesides(TreeMap<Long, Integer> open, long own) {
        Map.Entry<Long, Integer> lowest = open.firstEntry();
        if (lowest.getKey() != own || lowest.getValue() > 1) {
            return lowest.getKey();
        }
        Long higher = open.higherKey(own);
        return higher == null ? Long.MAX_VALUE : higher;
    }

    private static void take(TreeMap<Long, Integer> open, long rev) {
        open.computeIfPresent(rev, (k, c) -> c == 1 ? null : c - 1);
    }

    private static void lift(Node call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Node ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    private static void unlift(Node call) {
        Node ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }
}
