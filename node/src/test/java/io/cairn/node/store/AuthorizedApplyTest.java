package io.cairn.node.store;

import static io.cairn.node.store.Ops.cmd;
import static io.cairn.node.store.Ops.del;
import static io.cairn.node.store.Ops.get;
import static io.cairn.node.store.Ops.revIs;
import static io.cairn.node.store.Ops.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.node.acl.Identity;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.SessionOp;
import io.cairn.proto.State.Txn;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The state machine's half of authorization: a command marked {@code authorize} is checked
 * against the policy as of its place in the log, and every revision records who made it and when.
 */
class AuthorizedApplyTest {
    private static final Identity ADMIN = Identity.named("root", List.of(Identity.ADMINS), 0);
    private static final Identity POD = new Identity("system:serviceaccount:shop:web",
            List.of("system:serviceaccounts", "system:serviceaccounts:shop", Identity.AUTHENTICATED), "shop", "web", "web-0", 0);
    private static final String CONFIG_RULE =
            "{\"subject\":\"group:system:serviceaccounts\",\"path\":\"/config/{namespace}/**\",\"rights\":[\"read\",\"write\"]}";

    private final VersionedTree tree = new VersionedTree(StoreConfig.defaults());

    private static Command as(Identity who, Command c) {
        return c.toBuilder().setAuthor(who.toProto()).setAuthorize(true).build();
    }

    @Test
    void aWriteIsCheckedAgainstThePolicyWhereItLandsInTheLog() {
        assertThat(tree.apply(as(ADMIN, cmd(set("/ctl/acl/rules/config", CONFIG_RULE, -1))), 1_000).ok()).isTrue();
        assertThat(tree.apply(as(POD, cmd(set("/config/shop/a", "1", -1))), 2_000).ok()).isTrue();
        ApplyResult other = tree.apply(as(POD, cmd(set("/config/bank/a", "1", -1))), 3_000);
        assertThat(other.error().code()).isEqualTo(Err.PERMISSION_DENIED);
        assertThat(other.error().getMessage()).contains("lacks the write right on /config/bank/a");
        // Revoked: a write the member it came through had let pass is refused when it is applied.
        assertThat(tree.apply(as(ADMIN, cmd(del("/ctl/acl/rules/config", -1))), 4_000).ok()).isTrue();
        long before = tree.rev();
        ApplyResult late = tree.apply(as(POD, cmd(set("/config/shop/a", "2", -1))), 5_000);
        assertThat(late.error().code()).isEqualTo(Err.PERMISSION_DENIED);
        assertThat(tree.rev()).isEqualTo(before);
        assertThat(new String(tree.get("/config/shop/a", 0).value())).isEqualTo("1");
    }

    @Test
    void everyBranchAndCompareOfATransactionNeedsItsRight() {
        tree.apply(as(ADMIN, cmd(set("/ctl/acl/rules/config", CONFIG_RULE, -1))));
        tree.apply(cmd(set("/secret/k", "s", -1)));
        // The failure branch writes where the pod may not: refused whichever branch would run.
        Command sneaky = Command.newBuilder().setTxn(Txn.newBuilder().addCompare(revIs("/config/shop/a", 0))
                .addSuccess(set("/config/shop/a", "x", -1)).addFailure(set("/secret/k", "x", -1))).build();
        assertThat(tree.apply(as(POD, sneaky)).error().getMessage()).contains("write right on /secret/k");
        // A compare reads: it can leak a value one bit at a time.
        Command probe = Command.newBuilder().setTxn(Txn.newBuilder().addCompare(revIs("/secret/k", 1))
                .addSuccess(set("/config/shop/a", "x", -1))).build();
        assertThat(tree.apply(as(POD, probe)).error().getMessage()).contains("read right on /secret/k");
        assertThat(tree.apply(as(POD, cmd(get("/secret/k")))).error().getMessage()).contains("read right on /secret/k");
        assertThat(new String(tree.get("/secret/k", 0).value())).isEqualTo("s");
    }

    @Test
    void thePolicyHoldsOnlyWellFormedRulesAndOnlyAdminsChangeIt() {
        assertThat(tree.apply(cmd(set("/ctl/acl/x", "{}", -1))).error().getMessage())
                .contains("the policy holds only rules, each a file directly under /ctl/acl/rules");
        assertThat(tree.apply(cmd(set("/ctl/acl/rules/bad", "{\"subject\":\"a\"}", -1))).error().code()).isEqualTo(Err.INVALID);
        assertThat(tree.apply(cmd(set("/ctl/members/9", "{}", -1))).error().code()).isEqualTo(Err.READONLY);
        tree.apply(as(ADMIN, cmd(set("/ctl/acl/rules/config", CONFIG_RULE, -1))));
        ApplyResult escalate = tree.apply(as(POD, cmd(set("/ctl/acl/rules/mine",
                "{\"subject\":\"*\",\"path\":\"/**\",\"rights\":[\"admin\"]}", -1))));
        assertThat(escalate.error().getMessage()).contains("lacks the admin right on /ctl/acl/rules/mine");
        assertThat(tree.policy().rules()).hasSize(1);
        // Without authorize (a member run with --auth off) anyone may write rules: a dev cluster's policy is prepared so.
        assertThat(tree.apply(cmd(set("/ctl/acl/rules/open", "{\"subject\":\"*\",\"path\":\"/**\",\"rights\":[\"read\"]}", -1))).ok())
                .isTrue();
        assertThat(tree.policy().rules()).hasSize(2);
    }

    @Test
    void aTransactionRolledBackLeavesThePolicyAsItWas() {
        tree.apply(as(ADMIN, cmd(set("/ctl/acl/rules/config", CONFIG_RULE, -1))));
        ApplyResult r = tree.apply(cmd(del("/ctl/acl/rules/config", -1), set("/x", "1", 99)));
        assertThat(r.ok()).isFalse();
        assertThat(tree.policy().rules()).hasSize(1);
    }

    @Test
    void historyAndEventsRecordTheAuthorAndTheProposalTime() {
        tree.apply(as(ADMIN, cmd(set("/ctl/acl/rules/config", CONFIG_RULE, -1))), 1_000);
        ApplyResult r = tree.apply(as(POD, cmd(set("/config/shop/a", "1", -1))), 1_767_225_600_000L);
        assertThat(r.events().get(0).author()).isEqualTo("system:serviceaccount:shop:web");
        assertThat(r.events().get(0).timeMs()).isEqualTo(1_767_225_600_000L);
        tree.apply(cmd(set("/config/shop/a", "2", -1)), 7);
        List<Event> h = tree.history("/config/shop/a");
        assertThat(h).extracting(Event::author).containsExactly("system:serviceaccount:shop:web", null);
        assertThat(h).extracting(Event::timeMs).containsExactly(1_767_225_600_000L, 7L);
        // A snapshot keeps them, and a tree restored from it serves them.
        VersionedTree restored = VersionedTree.restore(tree.snapshot(0), StoreConfig.defaults());
        assertThat(restored.history("/config/shop/a")).extracting(Event::author).containsExactly("system:serviceaccount:shop:web", null);
        assertThat(restored.eventsFrom(1, io.cairn.node.store.Glob.compile("/**"), 10)).extracting(Event::timeMs)
                .containsExactly(1_000L, 1_767_225_600_000L, 7L);
        assertThat(restored.policy().rules()).hasSize(1);
    }

    @Test
    void onlyItsOwnerOrAnAdminEndsASession() {
        Command open = Command.newBuilder().setSessionOp(SessionOp.newBuilder().setKind(SessionOp.Kind.OPEN).setTtlMs(5_000))
                .setAuthor(POD.toProto()).build();
        long id = tree.apply(open).session();
        assertThat(tree.sessions().get(0).owner()).isEqualTo(POD.name());
        Identity other = Identity.named("mallory", List.of(), 0);
        Command close = Command.newBuilder().setSessionOp(SessionOp.newBuilder().setKind(SessionOp.Kind.CLOSE).setId(id)).build();
        ApplyResult refused = tree.apply(as(other, close));
        assertThat(refused.error().code()).isEqualTo(Err.PERMISSION_DENIED);
        assertThat(refused.error().getMessage()).contains("belongs to system:serviceaccount:shop:web");
        VersionedTree restored = VersionedTree.restore(tree.snapshot(0), StoreConfig.defaults());
        assertThat(restored.sessions().get(0).owner()).isEqualTo(POD.name());
        assertThat(tree.apply(as(POD, close)).ok()).isTrue();
    }

    @Test
    void aRuleThatDoesNotParseInARestoredTreeGrantsNothing() {
        tree.apply(as(ADMIN, cmd(set("/ctl/acl/rules/config", CONFIG_RULE, -1))));
        io.cairn.proto.State.Snapshot altered = tree.snapshot(0).toBuilder().clearOldest().clearBaseFiles().clearHistory()
                .addFiles(io.cairn.proto.State.Entry.newBuilder().setPath("/ctl/acl/rules/tampered")
                        .setValue(com.google.protobuf.ByteString.copyFromUtf8("{\"subject\":\"*\",\"path\":\"/**\"}"))
                        .setRev(tree.rev()))
                .build();
        VersionedTree restored = VersionedTree.restore(altered, StoreConfig.defaults());
        assertThat(restored.policy().rules()).extracting(io.cairn.node.acl.Rule::name).containsExactly("config");
        assertThat(restored.apply(as(POD, cmd(set("/secret/x", "1", -1)))).error().code()).isEqualTo(Err.PERMISSION_DENIED);
    }
}
