package io.cairn.node.store;

import static io.cairn.node.store.Ops.cmd;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.SessionOp;
import org.junit.jupiter.api.Test;

class SessionsTest {
    private final VersionedTree tree = new VersionedTree(StoreConfig.defaults());

    private long open() {
        ApplyResult r = tree.apply(Command.newBuilder().setSessionOp(SessionOp.newBuilder()
                .setKind(SessionOp.Kind.OPEN).setTtlMs(5000)).build());
        assertThat(r.ok()).isTrue();
        return r.session();
    }

    private ApplyResult end(long id, SessionOp.Kind how) {
        return tree.apply(Command.newBuilder().setSessionOp(SessionOp.newBuilder().setKind(how).setId(id)).build());
    }

    private static Op eset(String path, String value, long session) {
        return Op.newBuilder().setKind(Op.Kind.SET).setPath(path).setValue(ByteString.copyFromUtf8(value))
                .setRev(-1).setSession(session).build();
    }

    private static Op edel(String path, long session) {
        return Op.newBuilder().setKind(Op.Kind.DEL).setPath(path).setRev(-1).setSession(session).build();
    }

    @Test
    void ephemeralFilesBelongToTheirSession() {
        long a = open();
        long b = open();
        assertThat(b).isEqualTo(a + 1);
        assertThat(tree.apply(cmd(eset("/presence/ns/app/pod-a", "{}", a))).ok()).isTrue();
        assertThat(tree.owner("/presence/ns/app/pod-a")).isEqualTo(a);
        // Nobody else may change or delete it: not another session, not a plain write.
        assertThat(tree.apply(cmd(eset("/presence/ns/app/pod-a", "x", b))).error().code()).isEqualTo(Err.PERMISSION_DENIED);
        assertThat(tree.apply(cmd(Ops.set("/presence/ns/app/pod-a", "x", -1))).error().code()).isEqualTo(Err.PERMISSION_DENIED);
        StoreException denied = tree.apply(cmd(Ops.del("/presence/ns/app/pod-a", -1))).error();
        assertThat(denied.code()).isEqualTo(Err.PERMISSION_DENIED);
        assertThat(denied.getMessage()).contains("ephemeral file of session " + a);
        // Its own session may.
        assertThat(tree.apply(cmd(eset("/presence/ns/app/pod-a", "{\"status\":\"ready\"}", a))).ok()).isTrue();
        // A persistent file cannot be turned ephemeral.
        tree.apply(cmd(Ops.set("/plain", "p", -1)));
        assertThat(tree.apply(cmd(eset("/plain", "e", a))).error().code()).isEqualTo(Err.INVALID);
    }

    @Test
    void endingASessionDeletesItsFilesInOneRevision() {
        long a = open();
        long b = open();
        tree.apply(cmd(eset("/p/1", "1", a)));
        tree.apply(cmd(eset("/p/2", "2", a)));
        tree.apply(cmd(eset("/p/3", "3", b)));
        long before = tree.rev();
        ApplyResult r = end(a, SessionOp.Kind.EXPIRE);
        assertThat(r.rev()).isEqualTo(before + 1);
        assertThat(r.events()).extracting(Event::path).containsExactly("/p/1", "/p/2");
        assertThat(r.events()).allMatch(e -> e.deleted() && e.rev() == before + 1);
        assertThat(tree.get("/p/1", 0).rev()).isZero();
        assertThat(tree.get("/p/3", 0).rev()).isPositive();
        // The session is gone: writing through it says so, and ending it again too.
        assertThat(tree.apply(cmd(eset("/p/4", "4", a))).error().code()).isEqualTo(Err.SESSION_EXPIRED);
        assertThat(end(a, SessionOp.Kind.CLOSE).error().code()).isEqualTo(Err.SESSION_EXPIRED);
        // A session without files ends without a revision.
        long c = open();
        long rev = tree.rev();
        assertThat(end(c, SessionOp.Kind.CLOSE).rev()).isEqualTo(rev);
    }

    @Test
    void explicitDeleteThenExpiryLosesNothingAndResurrectsNothing() {
        long a = open();
        tree.apply(cmd(eset("/p/x", "1", a)));
        assertThat(tree.apply(cmd(edel("/p/x", a))).ok()).isTrue();
        // The file is no longer the session's: a plain write may create it now, and the expiry leaves it.
        assertThat(tree.apply(cmd(Ops.set("/p/x", "persistent", -1))).ok()).isTrue();
        end(a, SessionOp.Kind.EXPIRE);
        assertThat(Ops.text(tree.get("/p/x", 0).value())).isEqualTo("persistent");
    }

    @Test
    void aFailedTransactionLeavesBindingsAsTheyWere() {
        long a = open();
        tree.apply(cmd(Ops.set("/busy", "1", -1)));
        // The second op fails, so the first (an ephemeral create) must be undone, binding included.
        ApplyResult r = tree.apply(cmd(eset("/p/new", "1", a), Ops.set("/busy", "2", 99)));
        assertThat(r.ok()).isFalse();
        assertThat(tree.owner("/p/new")).isZero();
        assertThat(tree.sessions().get(0).files()).isEmpty();
    }

    @Test
    void filesPerSessionAreBounded() {
        long a = open();
        for (int i = 0; i < VersionedTree.MAX_FILES_PER_SESSION; i++) {
            assertThat(tree.apply(cmd(eset("/many/f" + i, "v", a))).ok()).isTrue();
        }
        StoreException e = tree.apply(cmd(eset("/many/one-more", "v", a))).error();
        assertThat(e.code()).isEqualTo(Err.RANGE);
        assertThat(e.getMessage()).contains("limit");
    }

    @Test
    void snapshotsKeepSessionsAndOwners() {
        long a = open();
        tree.apply(cmd(eset("/p/a", "1", a)));
        VersionedTree copy = VersionedTree.restore(tree.snapshot(0), StoreConfig.defaults());
        assertThat(copy.owner("/p/a")).isEqualTo(a);
        assertThat(copy.sessions()).hasSize(1);
        ApplyResult r = copy.apply(Command.newBuilder().setSessionOp(SessionOp.newBuilder()
                .setKind(SessionOp.Kind.OPEN).setTtlMs(1000)).build());
        assertThat(r.session()).isEqualTo(a + 1);
        assertThat(copy.apply(Command.newBuilder().setSessionOp(SessionOp.newBuilder()
                .setKind(SessionOp.Kind.EXPIRE).setId(a)).build()).events()).hasSize(1);
    }
}
