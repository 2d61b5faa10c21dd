package io.cairn.node.store;

import static io.cairn.node.store.Ops.cmd;
import static io.cairn.node.store.Ops.del;
import static io.cairn.node.store.Ops.set;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.acl.Identity;
import io.cairn.node.log.SnapshotOutput;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Snapshot;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A snapshot's entries and revisions are written straight from the tree's records: every
 * field the built messages carry (an author and a time, a delete, an empty value, several
 * changes in one revision, a value larger than the writer's chunk, a path outside ASCII) comes
 * out byte for byte as protobuf encodes the built snapshot.
 */
class SnapshotWireTest {
    private static final Identity ADMIN = Identity.named("root", List.of(Identity.ADMINS), 0);

    @Test
    void aCaptureWritesTheBuiltSnapshotsBytesThroughChunksOfAnySize() throws Exception {
        VersionedTree tree = new VersionedTree(new StoreConfig(1_000, 1 << 20));
        tree.apply(cmd(set("/config/a", "1", -1)));
        tree.apply(cmd(set("/config/a", "2", -1)).toBuilder().setAuthor(ADMIN.toProto()).build(), 1_700_000_000_123L);
        tree.apply(cmd(set("/config/empty", "", -1)), 5);
        tree.apply(cmd(set("/config/b", "x", -1), set("/config/c", "y", -1), del("/config/a", -1)));
        byte[] big = new byte[200_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        tree.apply(cmd(Op.newBuilder().setKind(Op.Kind.SET).setPath("/config/big").setValue(ByteString.copyFrom(big)).setRev(-1).build()));
        tree.apply(cmd(set("/config/é/ü", "v", -1)).toBuilder().setAuthor(ADMIN.toProto()).build(), 0);
        tree.apply(cmd(del("/config/empty", -1)), 9);

        VersionedTree.Capture capture = tree.capture(0);
        Snapshot built = capture.build();
        assertThat(built.getHistoryCount()).isGreaterThanOrEqualTo(6);
        assertThat(built.getHistoryList()).anySatisfy(r -> assertThat(r.hasAuthor() && r.getTimeMs() != 0).isTrue());
        assertThat(built.getHistoryList()).anySatisfy(r -> assertThat(r.getChangesCount()).isEqualTo(3));
        byte[] want = built.toByteArray();
        assertThat(capture.serializedSize()).isEqualTo(want.length);
        for (int chunk : new int[] {1, 7, 64, 4096, 1 << 16, 1 << 20}) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            SnapshotOutput out = new SnapshotOutput(bytes, chunk);
            capture.writeTo(out);
            out.flush();
            assertThat(bytes.toByteArray()).as("chunk of %d bytes", chunk).isEqualTo(want);
        }
    }

    @Test
    void aCaptureWithoutHistoryWritesOnlyItsFiles() throws Exception {
        VersionedTree tree = new VersionedTree(new StoreConfig(1_000, 1 << 20));
        tree.apply(cmd(set("/config/a", "1", -1)), 1);
        tree.apply(cmd(set("/config/a", "2", -1)), 2);
        VersionedTree.Capture bare = tree.capture(0).withoutHistory();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotOutput out = new SnapshotOutput(bytes, 8);
        bare.writeTo(out);
        out.flush();
        Snapshot back = Snapshot.parseFrom(bytes.toByteArray());
        assertThat(back.getHistoryCount()).isZero();
        assertThat(back.getFilesList()).singleElement().satisfies(e -> assertThat(e.getValue().toStringUtf8()).isEqualTo("2"));
        assertThat(bytes.toByteArray()).isEqualTo(bare.build().toByteArray());
    }

    @Test
    void anUnauthoredCommandLeavesTheRevisionWithoutAuthor() throws Exception {
        VersionedTree tree = new VersionedTree(new StoreConfig(1_000, 1 << 20));
        Command plain = cmd(set("/config/a", "1", -1));
        tree.apply(plain);
        tree.apply(cmd(set("/config/a", "2", -1)));
        VersionedTree.Capture capture = tree.capture(0);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotOutput out = new SnapshotOutput(bytes);
        capture.writeTo(out);
        out.flush();
        Snapshot back = Snapshot.parseFrom(bytes.toByteArray());
        assertThat(back.getHistoryList()).isNotEmpty().allSatisfy(r -> assertThat(r.hasAuthor() || r.hasTimeMs()).isFalse());
        assertThat(back).isEqualTo(capture.build());
    }
}
