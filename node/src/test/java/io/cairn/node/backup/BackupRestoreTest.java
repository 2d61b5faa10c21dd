package io.cairn.node.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.backup.BackupFile;
import io.cairn.node.CairnNode;
import io.cairn.node.NodeConfig;
import io.cairn.node.Restore;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestCluster;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SNAPSHOT streams a consistent backup; a new three-member cluster restored from it holds the
 * same tree at the same revision, serves the same history, and goes on from there. A damaged
 * backup is refused with the reason, before anything is written.
 */
class BackupRestoreTest {
    @TempDir
    Path dir;

    private static int tags;

    private static Response call(WireClient c, Request.Builder r) {
        return c.call(r.setTag(++tags).build());
    }

    private static long set(WireClient c, String path, String value) {
        Response r = call(c, Request.newBuilder().setVerb(Verb.SET).setPath(path).setValue(ByteString.copyFromUtf8(value)).setRev(-1));
        assertThat(r.hasErrCode()).as(r.getErrDetail()).isFalse();
        return r.getRev();
    }

    /** The backup file SNAPSHOT streams, checked against its seal. */
    private static byte[] backup(WireClient c, boolean withHistory) {
        int tag = ++tags;
        c.send(Request.newBuilder().setTag(tag).setVerb(Verb.SNAPSHOT).setWithoutHistory(!withHistory).build());
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        while (true) {
            Response r = c.read();
            assertThat(r.getTag()).isEqualTo(tag);
            assertThat(r.hasErrCode()).as(r.getErrDetail()).isFalse();
            if ((r.getFlags() & 2) != 0) { // DONE: the seal
                assertThat(r.getValue().toStringUtf8()).isEqualTo(BackupFile.seal(file.toByteArray()));
                return file.toByteArray();
            }
            file.writeBytes(r.getValue().toByteArray());
        }
    }

    /** Every file under / with its rev, as a WALK sees it. */
    private static Map<String, String> tree(WireClient c) {
        Map<String, String> out = new TreeMap<>();
        int offset = 0;
        while (true) {
            Response r = call(c, Request.newBuilder().setVerb(Verb.WALK).setPath("/**").setOffset(offset).setLimit(1000));
            r.getEntriesList().stream().filter(e -> !e.getPath().startsWith("/ctl/"))
                    .forEach(e -> out.put(e.getPath(), e.getRev() + ":" + e.getValue().toStringUtf8()));
            offset += r.getEntriesCount();
            if (!r.getMore()) {
                return out;
            }
        }
    }

    @Test
    void aClusterRestoredFromABackupHasTheSameTreeRevisionAndHistory() throws Exception {
        byte[] file;
        Map<String, String> before;
        long rev;
        List<Integer> historyRevs;
        try (TestCluster source = TestCluster.start(io.cairn.node.auth.AuthConfig.OFF);
             WireClient c = new WireClient(source.member(1).clientAddress())) {
            for (int i = 0; i < 2_000; i++) {
                set(c, "/data/k" + (i % 500), "v" + i);
            }
            call(c, Request.newBuilder().setVerb(Verb.DEL).setPath("/data/k7").setRev(-1));
            set(c, "/app/color", "blue");
            rev = set(c, "/app/color", "green");
            before = tree(c);
            historyRevs = call(c, Request.newBuilder().setVerb(Verb.HISTORY).setPath("/app/color")).getVersionsList().stream()
                    .map(v -> (int) v.getRev()).toList();
            file = backup(c, true);
            byte[] small = backup(c, false);
            assertThat(small.length).as("without history it is smaller").isLessThan(file.length);
            assertThat(BackupFile.decode(small).snapshot().hasOldest()).isFalse();
        }
        Path backup = dir.resolve("cluster.bak");
        Files.write(backup, file);
        BackupFile.Read read = BackupFile.decode(file);
        assertThat(read.snapshot().getRev()).isGreaterThanOrEqualTo(rev);

        // A new cluster on other ports, every member from the same file.
        Map<Long, String> peers = new TreeMap<>();
        for (long i = 1; i <= 3; i++) {
            peers.put(i, "127.0.0.1:" + TestCluster.freePort());
        }
        List<CairnNode> restored = new ArrayList<>();
        try {
            for (long i = 1; i <= 3; i++) {
                Restore.Result r = Restore.into(backup, dir.resolve("m" + i), i, peers);
                assertThat(r.rev()).isEqualTo(read.snapshot().getRev());
                assertThat(r.sha256()).isEqualTo(read.sha256());
            }
            for (long i = 1; i <= 3; i++) {
                // Started as a restarted member is: its membership is in its directory.
                restored.add(CairnNode.start(new NodeConfig(i, dir.resolve("m" + i), new InetSocketAddress("127.0.0.1", 0),
                        new InetSocketAddress("127.0.0.1", 0), null, Map.of(), StoreConfig.defaults(), Replica.Options.defaults(), null)));
            }
            for (CairnNode n : restored) {
                assertThat(n.awaitReady(Duration.ofSeconds(20))).isTrue();
            }
            for (CairnNode n : restored) {
                try (WireClient c = new WireClient(n.clientAddress())) {
                    assertThat(tree(c)).isEqualTo(before);
                    assertThat(call(c, Request.newBuilder().setVerb(Verb.HISTORY).setPath("/app/color")).getVersionsList().stream()
                            .map(v -> (int) v.getRev()).toList()).isEqualTo(historyRevs);
                    assertThat(call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/app/color").setRev(rev - 1)).getValue()
                            .toStringUtf8()).isEqualTo("blue");
                }
            }
            try (WireClient c = new WireClient(restored.get(2).clientAddress())) {
                long next = set(c, "/app/color", "teal");
                assertThat(next).as("the log goes on from the backup's revision").isGreaterThan(read.snapshot().getRev());
            }
        } finally {
            restored.forEach(CairnNode::close);
        }
    }

    @Test
    void aDamagedBackupOrABusyDirectoryIsRefusedWithTheReasonAndNothingIsWritten() throws Exception {
        byte[] good = BackupFile.encode(io.cairn.proto.State.Snapshot.newBuilder().setRev(3)
                .addFiles(io.cairn.proto.State.Entry.newBuilder().setPath("/a").setValue(ByteString.copyFromUtf8("x")).setRev(3)).build());
        assertThat(BackupFile.decode(good).snapshot().getRev()).isEqualTo(3);
        Map<String, byte[]> bad = new TreeMap<>();
        bad.put("truncated: ", java.util.Arrays.copyOf(good, good.length - 5));
        byte[] flipped = good.clone();
        flipped[30] ^= 1;
        bad.put("corrupted: its SHA-256 does not match its contents", flipped);
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 3);
        bad.put("corrupted: 3 bytes after the end", longer);
        bad.put("not a Cairn backup", "hello, world".getBytes());
        byte[] future = good.clone();
        future[11] = 9;
        bad.put("backup format version 9; this Cairn reads version 1", future);
        Map<Long, String> peers = Map.of(1L, "127.0.0.1:1");
        for (Map.Entry<String, byte[]> b : bad.entrySet()) {
            assertThatThrownBy(() -> BackupFile.decode(b.getValue())).hasMessageContaining(b.getKey());
            Path f = dir.resolve("bad.bak");
            Files.write(f, b.getValue());
            Path target = dir.resolve("never");
            assertThatThrownBy(() -> Restore.into(f, target, 1, peers)).hasMessageContaining(b.getKey());
            assertThat(target).doesNotExist();
        }
        Path f = dir.resolve("good.bak");
        Files.write(f, good);
        Files.createDirectories(dir.resolve("busy"));
        Files.writeString(dir.resolve("busy/node.id"), "1\n");
        assertThatThrownBy(() -> Restore.into(f, dir.resolve("busy"), 1, peers)).hasMessageContaining("is not empty");
        assertThatThrownBy(() -> Restore.into(f, dir.resolve("other"), 2, peers)).hasMessageContaining("member 2 is not among");
    }
}
