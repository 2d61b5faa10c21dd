package io.cairn.node.log;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Peer.SnapshotFile;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Snapshot;
import io.cairn.proto.State.Txn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzz target: reading snapshots back ({@link SnapshotStore#decode}, then
 * {@link VersionedTree#restore}).
 *
 * <p>Checked: a tree that went through any writes, saved by the store and read back, is the same
 * tree (revision, oldest readable revision, and every file at every retained revision); one byte
 * changed anywhere in the file makes the reader refuse it (null: the store then tries an older
 * one). Arbitrary snapshot contents either restore into a tree that keeps the tree's rules (no
 * file under a file, every path valid) or are refused with {@link IllegalArgumentException}.
 */
public class SnapshotReaderFuzzTest {
    private static final StoreConfig CONFIG = new StoreConfig(8, 512);
    private static final Glob ALL = Glob.compile("/**");
    private static final String[] SEGMENTS = {"a", "b", "c"};
    private static SnapshotStore store;

    @FuzzTest
    void snapshots(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            anyContents(data);
        } else {
            roundTrip(data);
        }
    }

    private static void anyContents(FuzzedDataProvider data) {
        Snapshot snap;
        try {
            snap = Snapshot.parseFrom(data.consumeRemainingAsBytes());
        } catch (InvalidProtocolBufferException e) {
            return;
        }
        VersionedTree tree;
        try {
            tree = VersionedTree.restore(snap, CONFIG);
        } catch (IllegalArgumentException refused) {
            return;
        }
        for (FileEntry f : tree.walk(ALL, tree.rev(), 0, Integer.MAX_VALUE).items()) {
            io.cairn.node.store.Paths.check(f.path());
            for (String dir = io.cairn.node.store.Paths.parent(f.path()); !dir.equals("/"); dir = io.cairn.node.store.Paths.parent(dir)) {
                if (tree.get(dir, tree.rev()).value() != null) {
                    throw new AssertionError("restored a file " + f.path() + " under the file " + dir);
                }
            }
        }
    }

    private static void roundTrip(FuzzedDataProvider data) {
        VersionedTree tree = new VersionedTree(CONFIG);
        int writes = data.consumeInt(0, 24);
        for (int i = 0; i < writes; i++) {
            StringBuilder path = new StringBuilder();
            int depth = data.consumeInt(1, 3);
            for (int d = 0; d < depth; d++) {
                path.append('/').append(data.pickValue(SEGMENTS));
            }
            Op.Builder op = data.consumeBoolean()
                    ? Op.newBuilder().setKind(Op.Kind.SET).setPath(path.toString())
                            .setValue(ByteString.copyFrom(data.consumeBytes(data.consumeInt(0, 16)))).setRev(-1)
                    : Op.newBuilder().setKind(Op.Kind.DEL).setPath(path.toString()).setRev(-1);
            tree.apply(Command.newBuilder().setTxn(Txn.newBuilder().addSuccess(op)).build());
        }
        SnapshotFile file = SnapshotFile.newBuilder().setSlot(data.consumeInt(0, 1000)).setTree(tree.snapshot(0)).build();
        try {
            SnapshotStore s = store();
            // Each input starts from an empty store: a store keeps the newest snapshot it has,
            // and refuses an older one (SnapshotStoreTest).
            try (var list = Files.list(dir)) {
                for (Path p : list.toList()) {
                    Files.delete(p);
                }
            }
            s.save(file);
            Path saved;
            try (var list = Files.list(dir)) {
                saved = list.filter(p -> p.getFileName().toString().startsWith("snap-")).findFirst().orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(saved);
            if (data.consumeBoolean() && bytes.length > 0) {
                bytes[data.consumeInt(0, bytes.length - 1)] ^= (byte) data.consumeInt(1, 255);
                if (SnapshotStore.decode(bytes) != null) {
                    throw new AssertionError("a snapshot with a changed byte was read back as intact");
                }
                return;
            }
            SnapshotFile back = s.loadLatest();
            if (!file.equals(back)) {
                throw new AssertionError("the snapshot read back is not the one saved");
            }
            VersionedTree restored = VersionedTree.restore(back.getTree(), CONFIG);
            if (restored.rev() != tree.rev() || restored.oldestRev() != tree.oldestRev()) {
                throw new AssertionError("restored at rev " + restored.rev() + " (oldest " + restored.oldestRev()
                        + "), saved at " + tree.rev() + " (oldest " + tree.oldestRev() + ")");
            }
            for (long r = Math.max(1, tree.oldestRev()); r <= tree.rev(); r++) {
                List<FileEntry> want = tree.walk(ALL, r, 0, Integer.MAX_VALUE).items();
                List<FileEntry> got = restored.walk(ALL, r, 0, Integer.MAX_VALUE).items();
                if (!same(want, got)) {
                    throw new AssertionError("at rev " + r + " the restored tree holds " + got + ", the saved one " + want);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean same(List<FileEntry> a, List<FileEntry> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            FileEntry x = a.get(i);
            FileEntry y = b.get(i);
            if (!x.path().equals(y.path()) || x.rev() != y.rev() || !java.util.Arrays.equals(x.value(), y.value())) {
                return false;
            }
        }
        return true;
    }

    private static Path dir;

    private static synchronized SnapshotStore store() throws IOException {
        if (store == null) {
            Path shm = Path.of("/dev/shm");
            dir = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "cairn-fuzz-snap") : Files.createTempDirectory("cairn-fuzz-snap");
            store = new SnapshotStore(dir);
            Path d = dir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var list = Files.list(d)) {
                    list.forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // a temp directory left behind
                }
                d.toFile().delete();
            }));
        }
        return store;
    }
}
