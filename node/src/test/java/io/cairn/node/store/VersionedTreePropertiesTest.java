package io.cairn.node.store;

import static io.cairn.node.store.Ops.cmd;
import static io.cairn.node.store.Ops.del;
import static io.cairn.node.store.Ops.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The tree against a model that keeps a full copy of the files at every revision: random op
 * sequences (with nested paths, so directory and CAS conflicts happen often), then reads of every
 * kind at every revision, compacted or not.
 */
class VersionedTreePropertiesTest {
    private static final List<String> PATHS = List.of("/a", "/b", "/a/x", "/a/y", "/a/x/deep", "/c/d", "/c/e", "/c");

    /** One generated write: kind, path index, which expected rev to use, value. */
    record Gen(boolean delete, int path, int revChoice, String value, boolean pair) {}

    @Provide
    Arbitrary<List<Gen>> histories() {
        Arbitrary<Gen> one = Combinators.combine(
                Arbitraries.integers().between(0, 3).map(i -> i == 0),
                Arbitraries.integers().between(0, PATHS.size() - 1),
                Arbitraries.integers().between(0, 3),
                Arbitraries.strings().alpha().ofMaxLength(3),
                Arbitraries.integers().between(0, 5).map(i -> i == 0))
                .as(Gen::new);
        return one.list().ofMinSize(1).ofMaxSize(60);
    }

    /** The model: files per revision, and the rules of the data model written the plain way. */
    static final class Model {
        final List<TreeMap<String, long[]>> revs = new ArrayList<>(); // path -> {rev}; values kept apart
        final List<TreeMap<String, String>> values = new ArrayList<>();

        Model() {
            revs.add(new TreeMap<>());
            values.add(new TreeMap<>());
        }

        int current() {
            return revs.size() - 1;
        }

        long expected(Gen g, String path) {
            long cur = revOf(current(), path);
            return switch (g.revChoice()) {
                case 0 -> -1;
                case 1 -> 0;
                case 2 -> cur;
                default -> cur + 1;
            };
        }

        long revOf(int at, String path) {
            long[] r = revs.get(at).get(path);
            return r == null ? 0 : r[0];
        }

        boolean isDir(int at, String path) {
            String prefix = path.equals("/") ? "/" : path + "/";
            String k = revs.get(at).ceilingKey(prefix);
            return path.equals("/") || (k != null && k.startsWith(prefix));
        }

        /** Applies ops as one revision if all are allowed; returns the error code otherwise. */
        Err apply(List<Op> ops) {
            TreeMap<String, long[]> r = new TreeMap<>(revs.get(current()));
            TreeMap<String, String> v = new TreeMap<>(values.get(current()));
            long next = current() + 1;
            for (Op op : ops) {
                String p = op.getPath();
                String prefix = p + "/";
                String k = r.ceilingKey(prefix);
                boolean dir = k != null && k.startsWith(prefix);
                long cur = r.containsKey(p) ? r.get(p)[0] : 0;
                if (op.getKind() == Op.Kind.SET) {
                    if (dir) {
                        return Err.ISDIR;
                    }
                    for (String d = Paths.parent(p); !d.equals("/"); d = Paths.parent(d)) {
                        if (r.containsKey(d)) {
                            return Err.NOTDIR;
                        }
                    }
                    if (op.getRev() != -1 && op.getRev() != cur) {
                        return Err.REV_MISMATCH;
                    }
                    r.put(p, new long[] {next});
                    v.put(p, op.getValue().toStringUtf8());
                } else {
                    if (dir) {
                        return Err.ISDIR;
                    }
                    if (!r.containsKey(p)) {
                        return Err.NOENT;
                    }
                    if (op.getRev() != -1 && op.getRev() != cur) {
                        return Err.REV_MISMATCH;
                    }
                    r.remove(p);
                    v.remove(p);
                }
            }
            revs.add(r);
            values.add(v);
            return null;
        }
    }

    @Property(tries = 300)
    void treeMatchesModelAtEveryRevision(@ForAll("histories") List<Gen> history,
            @ForAll @IntRange(min = 1, max = 30) int historyLimit) {
        VersionedTree tree = new VersionedTree(new StoreConfig(historyLimit, 1024));
        Model model = new Model();
        for (int i = 0; i < history.size(); i++) {
            Gen g = history.get(i);
            List<Op> ops = new ArrayList<>();
            ops.add(op(g, model));
            if (g.pair()) {
                Gen second = history.get((i + 1) % history.size());
                ops.add(op(second, model));
            }
            Command c = cmd(ops.toArray(Op[]::new));
            Err expected = model.apply(ops);
            ApplyResult r = tree.apply(c);
            if (expected == null) {
                assertThat(r.error()).as("op %d %s", i, ops).isNull();
                assertThat(r.rev()).isEqualTo(model.current());
            } else {
                assertThat(r.error()).as("op %d %s", i, ops).isNotNull();
                assertThat(r.error().code()).as("op %d %s", i, ops).isEqualTo(expected);
            }
        }
        assertThat(tree.rev()).isEqualTo(model.current());
        long oldest = Math.max(0, model.current() - historyLimit);
        assertThat(tree.oldestRev()).isEqualTo(oldest);

        for (int at = 0; at <= model.current(); at++) {
            long readAt = at;
            if (at == 0) {
                continue; // 0 asks for the latest revision
            }
            if (at < oldest) {
                StoreException e = catchStore(() -> tree.get("/a", readAt));
                assertThat(e).isNotNull();
                assertThat(e.code()).isEqualTo(Err.TOO_LATE);
                continue;
            }
            for (String p : PATHS) {
                FileEntry f = tree.get(p, at);
                long want = model.isDir(at, p) ? Revs.DIR : model.revOf(at, p);
                assertThat(f.rev()).as("rev of %s at %d", p, at).isEqualTo(want);
                if (want > 0) {
                    assertThat(Ops.text(f.value())).isEqualTo(model.values.get(at).get(p));
                }
            }
            TreeSet<String> top = new TreeSet<>();
            for (String k : model.revs.get(at).keySet()) {
                top.add(k.substring(1).split("/")[0]);
            }
            assertThat(tree.getdir("/", at, 0, 100).items()).as("ls / at %d", at).containsExactlyElementsOf(top);
            List<String> walked = tree.walk(Glob.compile("/**"), at, 0, 100).items().stream().map(FileEntry::path).toList();
            assertThat(walked).as("walk at %d", at).containsExactlyElementsOf(model.revs.get(at).keySet());
        }

        // Replaying the retained events over the oldest readable tree gives the current tree.
        if (model.current() > oldest) {
            TreeMap<String, String> replay = new TreeMap<>(model.values.get((int) oldest));
            for (Event e : tree.eventsFrom(oldest + 1, Glob.compile("/**"), Integer.MAX_VALUE)) {
                if (e.deleted()) {
                    replay.remove(e.path());
                } else {
                    replay.put(e.path(), Ops.text(e.value()));
                }
            }
            assertThat(replay).isEqualTo(model.values.get(model.current()));
        }
    }

    private static Op op(Gen g, Model model) {
        String p = PATHS.get(g.path());
        long rev = model.expected(g, p);
        return g.delete() ? del(p, rev) : set(p, g.value(), rev);
    }

    private static StoreException catchStore(Runnable r) {
        try {
            r.run();
            return null;
        } catch (StoreException e) {
            return e;
        }
    }

    @Property(tries = 100)
    void snapshotRestoreKeepsEveryFile(@ForAll("histories") List<Gen> history) {
        VersionedTree tree = new VersionedTree(StoreConfig.defaults());
        Model model = new Model();
        for (Gen g : history) {
            Op o = op(g, model);
            if (model.apply(List.of(o)) == null) {
                tree.apply(cmd(o));
            }
        }
        VersionedTree copy = VersionedTree.restore(tree.snapshot(0), StoreConfig.defaults());
        assertThat(copy.rev()).isEqualTo(tree.rev());
        Map<String, String> files = new TreeMap<>();
        for (FileEntry f : copy.walk(Glob.compile("/**"), 0, 0, 1000).items()) {
            files.put(f.path(), Ops.text(f.value()));
            assertThat(f.rev()).isEqualTo(tree.get(f.path(), 0).rev());
        }
        assertThat(files).isEqualTo(model.values.get(model.current()));
    }

    /** A backup is streamed from a capture one entry at a time; what it writes must be the built snapshot's bytes. */
    @Property(tries = 200)
    void aCaptureStreamsExactlyTheSnapshotItBuilds(@ForAll("histories") List<Gen> history,
            @ForAll @IntRange(min = 1, max = 30) int historyLimit, @ForAll @IntRange(min = 0, max = 3) int sessions) throws Exception {
        StoreConfig cfg = new StoreConfig(historyLimit, 1024);
        VersionedTree tree = new VersionedTree(cfg);
        for (int i = 0; i < sessions; i++) {
            long id = tree.apply(Command.newBuilder().setSessionOp(io.cairn.proto.State.SessionOp.newBuilder()
                    .setKind(io.cairn.proto.State.SessionOp.Kind.OPEN).setTtlMs(5000)).build()).session();
            tree.apply(cmd(Op.newBuilder().setKind(Op.Kind.SET).setPath("/presence/p" + i).setValue(com.google.protobuf.ByteString.copyFromUtf8("up"))
                    .setRev(-1).setSession(id).build()));
        }
        Model model = new Model();
        for (Gen g : history) {
            Op o = op(g, model);
            if (model.apply(List.of(o)) == null) {
                tree.apply(cmd(o));
            }
        }
        long past = Math.max(Math.max(1, tree.oldestRev()), (tree.rev() + 1) / 2);
        for (long at : past <= tree.rev() ? new long[] {0, past} : new long[] {0}) {
            VersionedTree.Capture capture = tree.capture(at);
            assertThat(capture.withoutHistory().build())
                    .isEqualTo(capture.build().toBuilder().clearOldest().clearBaseFiles().clearHistory().build());
            for (VersionedTree.Capture c : List.of(capture, capture.withoutHistory())) {
                byte[] built = c.build().toByteArray();
                java.io.ByteArrayOutputStream streamed = new java.io.ByteArrayOutputStream();
                com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(streamed, 7);
                c.writeTo(out);
                out.flush();
                assertThat(c.serializedSize()).isEqualTo(built.length);
                assertThat(streamed.toByteArray()).isEqualTo(built);
                // And through a snapshot's chunked array encoders, the chunk smaller than most entries.
                java.io.ByteArrayOutputStream chunked = new java.io.ByteArrayOutputStream();
                io.cairn.node.log.SnapshotOutput pieces = new io.cairn.node.log.SnapshotOutput(chunked, 16);
                c.writeTo(pieces);
                pieces.flush();
                assertThat(chunked.toByteArray()).isEqualTo(built);
            }
        }
    }

    @Property(tries = 200)
    void snapshotCarriesTheRetainedHistory(@ForAll("histories") List<Gen> history,
            @ForAll @IntRange(min = 1, max = 30) int historyLimit) {
        StoreConfig cfg = new StoreConfig(historyLimit, 1024);
        VersionedTree tree = new VersionedTree(cfg);
        Model model = new Model();
        for (Gen g : history) {
            Op o = op(g, model);
            if (model.apply(List.of(o)) == null) {
                tree.apply(cmd(o));
            }
        }
        VersionedTree copy = VersionedTree.restore(tree.snapshot(0), cfg);
        assertThat(copy.rev()).isEqualTo(tree.rev());
        assertThat(copy.oldestRev()).isEqualTo(tree.oldestRev());
        for (long at = Math.max(1, tree.oldestRev()); at <= tree.rev(); at++) {
            for (String p : PATHS) {
                FileEntry a = tree.get(p, at);
                FileEntry b = copy.get(p, at);
                assertThat(b.rev()).as("%s at %d", p, at).isEqualTo(a.rev());
                assertThat(b.value()).isEqualTo(a.value());
            }
        }
        if (tree.rev() > tree.oldestRev()) {
            List<Event> ea = tree.eventsFrom(tree.oldestRev() + 1, Glob.compile("/**"), Integer.MAX_VALUE);
            List<Event> eb = copy.eventsFrom(tree.oldestRev() + 1, Glob.compile("/**"), Integer.MAX_VALUE);
            assertThat(eb).hasSameSizeAs(ea);
            for (int i = 0; i < ea.size(); i++) {
                assertThat(eb.get(i).path()).isEqualTo(ea.get(i).path());
                assertThat(eb.get(i).rev()).isEqualTo(ea.get(i).rev());
                assertThat(eb.get(i).deleted()).isEqualTo(ea.get(i).deleted());
            }
        }
        // The restored tree goes on exactly like the original.
        Op next = set("/a", "after", -1);
        ApplyResult ra = tree.apply(cmd(next));
        ApplyResult rb = copy.apply(cmd(next));
        assertThat(rb.rev()).isEqualTo(ra.rev());
        assertThat(rb.ok()).isEqualTo(ra.ok());
    }
}
