package io.cairn.testing.lin;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The sequential specification of the store for the checker: files with values and revs, and a
 * global revision that grows by one per committed change. Covers GET, SET (CAS and clobber),
 * DEL, and TXN (rev compares, then writes).
 */
public final class KvModel {
    private KvModel() {}

    public enum Kind { GET, SET, DEL, TXN }

    /** A rev compare of a TXN: file {@code path} is at rev {@code rev}. */
    public record RevCompare(String path, long rev) {}

    /** A write of a TXN: value null deletes. */
    public record TxnWrite(String path, String value) {}

    public record Input(Kind kind, String path, String value, long expectedRev, List<RevCompare> compares,
            List<TxnWrite> writes) {
        public static Input get(String path) {
            return new Input(Kind.GET, path, null, 0, List.of(), List.of());
        }

        public static Input set(String path, String value, long expectedRev) {
            return new Input(Kind.SET, path, value, expectedRev, List.of(), List.of());
        }

        public static Input del(String path, long expectedRev) {
            return new Input(Kind.DEL, path, null, expectedRev, List.of(), List.of());
        }

        public static Input txn(List<RevCompare> compares, List<TxnWrite> writes) {
            return new Input(Kind.TXN, null, null, 0, List.copyOf(compares), List.copyOf(writes));
        }
    }

    /** Error codes the model distinguishes; null for success. */
    public enum Error { REV_MISMATCH, NOENT }

    /**
     * @param value GET: the value read (null when missing)
     * @param rev GET: the file's rev; SET/DEL/TXN: the store revision after the op
     * @param succeeded TXN: whether the compares held
     * @param error SET/DEL: the refusal, if any
     */
    public record Output(String value, long rev, boolean succeeded, Error error) {
        public static Output read(String value, long rev) {
            return new Output(value, rev, true, null);
        }

        public static Output wrote(long rev) {
            return new Output(null, rev, true, null);
        }

        public static Output refused(Error e) {
            return new Output(null, 0, false, e);
        }

        public static Output txn(boolean succeeded, long rev) {
            return new Output(null, rev, succeeded, null);
        }
    }

    /** An immutable store state with a cached hash, cheap enough to memoize on. */
    public static final class State {
        final TreeMap<String, String> values;
        final TreeMap<String, Long> revs;
        final long rev;
        private final int hash;

        State(TreeMap<String, String> values, TreeMap<String, Long> revs, long rev) {
            this.values = values;
            this.revs = revs;
            this.rev = rev;
            this.hash = Objects.hash(values, revs, rev);
        }

        public static State empty() {
            return new State(new TreeMap<>(), new TreeMap<>(), 0);
        }

        /** A state holding {@code files} (path → value, rev) at store revision {@code rev}. */
        public static State of(Map<String, String> values, Map<String, Long> revs, long rev) {
            return new State(new TreeMap<>(values), new TreeMap<>(revs), rev);
        }

        long fileRev(String path) {
            return revs.getOrDefault(path, 0L);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && s.hash == hash && s.rev == rev && s.values.equals(values) && s.revs.equals(revs);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public String toString() {
            return "rev " + rev + " " + values;
        }
    }

    /** The state after {@code in} with result {@code out}, or null when that result is impossible here. */
    public static State step(State s, Input in, Output out) {
        return step(s, in, out, false);
    }

    /**
     * As {@link #step(State, Input, Output)}; with {@code gaps}, revisions may also be consumed by
     * writes outside the history (to other trees, like /ctl): a write's revision must then only
     * exceed the last one, not follow it by exactly one.
     */
    public static State step(State s, Input in, Output out, boolean gaps) {
        switch (in.kind()) {
            case GET -> {
                if (out == null) {
                    return s;
                }
                String v = s.values.get(in.path());
                return Objects.equals(v, out.value()) && s.fileRev(in.path()) == out.rev() ? s : null;
            }
            case SET -> {
                long cur = s.fileRev(in.path());
                boolean allowed = in.expectedRev() == -1 || in.expectedRev() == cur;
                if (!allowed) {
                    return out == null || out.error() == Error.REV_MISMATCH ? s : null;
                }
                if (out != null && (out.error() != null || !revOk(s, out.rev(), gaps))) {
                    return null;
                }
                return write(s, List.of(new TxnWrite(in.path(), in.value())), out == null ? s.rev + 1 : out.rev());
            }
            case DEL -> {
                long cur = s.fileRev(in.path());
                if (cur == 0) {
                    return out == null || out.error() == Error.NOENT ? s : null;
                }
                if (in.expectedRev() != -1 && in.expectedRev() != cur) {
                    return out == null || out.error() == Error.REV_MISMATCH ? s : null;
                }
                if (out != null && (out.error() != null || !revOk(s, out.rev(), gaps))) {
                    return null;
                }
                return write(s, List.of(new TxnWrite(in.path(), null)), out == null ? s.rev + 1 : out.rev());
            }
            case TXN -> {
                boolean holds = true;
                for (RevCompare c : in.compares()) {
                    holds &= s.fileRev(c.path()) == c.rev();
                }
                if (!holds) {
                    return out == null || (!out.succeeded() && (gaps ? out.rev() >= s.rev : out.rev() == s.rev)) ? s : null;
                }
                // Deletes of missing files would fail the whole txn; the generator never makes them.
                if (out != null && (!out.succeeded() || (!in.writes().isEmpty() && !revOk(s, out.rev(), gaps)))) {
                    return null;
                }
                return write(s, in.writes(), out == null ? s.rev + 1 : out.rev());
            }
            default -> throw new IllegalArgumentException("unknown kind " + in.kind());
        }
    }

    /**
     * The highest store revision at which {@code in} with result {@code out} can still take
     * place, or {@link Long#MAX_VALUE} when its result pins none. The store revision only grows,
     * so once it passes this, no order of the operations left can place this one: a write that
     * returned revision r happened at r - 1 (or below, with gaps), a failed TXN at its revision.
     */
    static long lastRev(Input in, Output out) {
        if (out == null || out.error() != null) {
            return Long.MAX_VALUE;
        }
        return switch (in.kind()) {
            case GET -> Long.MAX_VALUE;
            case SET, DEL -> out.rev() - 1;
            case TXN -> !out.succeeded() ? out.rev() : in.writes().isEmpty() ? Long.MAX_VALUE : out.rev() - 1;
        };
    }

    private static boolean revOk(State s, long rev, boolean gaps) {
        return gaps ? rev > s.rev : rev == s.rev + 1;
    }

    private static State write(State s, List<TxnWrite> writes, long next) {
        if (writes.isEmpty()) {
            return s;
        }
        TreeMap<String, String> values = new TreeMap<>(s.values);
        TreeMap<String, Long> revs = new TreeMap<>(s.revs);
        for (TxnWrite w : writes) {
            if (w.value() == null) {
                values.remove(w.path());
                revs.remove(w.path());
            } else {
                values.put(w.path(), w.value());
                revs.put(w.path(), next);
            }
        }
        return new State(values, revs, next);
    }

    static String describe(Input in) {
        return switch (in.kind()) {
            case GET -> "GET " + in.path();
            case SET -> "SET " + in.path() + "=" + in.value() + " @" + in.expectedRev();
            case DEL -> "DEL " + in.path() + " @" + in.expectedRev();
            case TXN -> "TXN if " + in.compares() + " then " + Arrays.toString(in.writes().toArray());
        };
    }
}
