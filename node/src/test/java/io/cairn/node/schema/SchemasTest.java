package io.cairn.node.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.store.Err;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SchemasTest {
    static final String LIMITS = "{\"path\":\"/config/pay/**\",\"schema\":{\"type\":\"object\",\"required\":[\"max\"],"
            + "\"properties\":{\"max\":{\"type\":\"integer\",\"minimum\":1}},\"additionalProperties\":false}}";

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Schemas with(String name, String json) {
        VersionedTree t = new VersionedTree(StoreConfig.defaults());
        t.apply(Command.newBuilder().setTxn(Txn.newBuilder().addSuccess(Op.newBuilder().setKind(Op.Kind.SET)
                .setPath(SchemaRule.DIR + "/" + name).setValue(ByteString.copyFromUtf8(json)))).build());
        return Schemas.of(t);
    }

    static String refusal(Runnable r) {
        try {
            r.run();
        } catch (StoreException e) {
            assertThat(e.code()).isEqualTo(Err.INVALID);
            return e.getMessage();
        }
        throw new AssertionError("not refused");
    }

    @Test
    void aValueUnderTheGlobMustPassTheSchema() {
        Schemas s = with("limits", LIMITS);
        s.check("/config/pay/limits", utf8("{\"max\": 5}"));
        s.check("/config/shop/limits", utf8("not json at all")); // outside the glob
        assertThat(refusal(() -> s.check("/config/pay/limits", utf8("{\"max\": \"five\"}"))))
                .contains("/config/pay/limits: refused by schema limits (/ctl/schema/limits, for /config/pay/**)")
                .contains("max").contains("integer");
        assertThat(refusal(() -> s.check("/config/pay/a/b", utf8("{\"max\": 0}")))).contains("minimum");
        assertThat(refusal(() -> s.check("/config/pay/limits", utf8("{\"max\": 2, \"extra\": 1}")))).contains("extra");
        assertThat(refusal(() -> s.check("/config/pay/limits", utf8("{\"max\":")))).contains("the value is not JSON");
        assertThat(refusal(() -> s.check("/config/pay/limits", utf8("")))).contains("the value is not JSON");
    }

    @Test
    void everySetOfBothBranchesIsChecked() {
        Schemas s = with("limits", LIMITS);
        Command ok = Command.newBuilder().setTxn(Txn.newBuilder()
                .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/config/pay/x").setValue(ByteString.copyFromUtf8("{\"max\":1}")))
                .addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath("/config/pay/y"))).build();
        s.check(ok);
        Command badFailure = ok.toBuilder().setTxn(ok.getTxn().toBuilder()
                .addFailure(Op.newBuilder().setKind(Op.Kind.SET).setPath("/config/pay/z").setValue(ByteString.copyFromUtf8("[]")))).build();
        assertThat(refusal(() -> s.check(badFailure))).contains("/config/pay/z: refused by schema limits");
    }

    @Test
    void aSchemaIsCheckedWhenWritten() {
        Schemas none = Schemas.NONE;
        none.check(SchemaRule.DIR + "/ok", utf8(LIMITS));
        assertThat(refusal(() -> none.check(SchemaRule.DIR + "/x", utf8("{"))))
                .isEqualTo("schema /ctl/schema/x: not JSON");
        assertThat(refusal(() -> none.check(SchemaRule.DIR + "/x", utf8("{\"path\":\"/a/**\"}"))))
                .contains("needs \"path\"").contains("\"schema\"");
        assertThat(refusal(() -> none.check(SchemaRule.DIR + "/x", utf8("{\"path\":\"/a/**\",\"schema\":{},\"owner\":1}"))))
                .contains("unknown field \"owner\"");
        assertThat(refusal(() -> none.check(SchemaRule.DIR + "/x", utf8("{\"path\":\"a/**\",\"schema\":{}}"))))
                .contains("must start with /");
        assertThat(refusal(() -> none.check(SchemaRule.DIR + "/x", utf8("{\"path\":\"/a/**\",\"schema\":{\"type\":\"integr\"}}"))))
                .contains("not a JSON Schema of https://json-schema.org/draft/2020-12/schema: /type:").contains("enumeration");
        assertThat(refusal(() -> none.check(SchemaRule.DIR + "/x",
                utf8("{\"path\":\"/a/**\",\"schema\":{\"$ref\":\"https://example.com/s.json\"}}"))))
                .contains("not a usable JSON Schema");
        assertThat(refusal(() -> none.check(SchemaRule.DIR + "/x",
                utf8("{\"path\":\"/a/**\",\"schema\":{\"$schema\":\"https://example.com/mine\"}}"))))
                .contains("not a usable JSON Schema");
        // An older draft, named by $schema, is checked against its own meta-schema.
        none.check(SchemaRule.DIR + "/x", utf8("{\"path\":\"/a/**\",\"schema\":{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
                + "\"type\":\"string\"}}"));
        assertThat(refusal(() -> none.check(SchemaRule.DIR + "/a/b", utf8(LIMITS))))
                .contains("holds only schemas, each a file directly under it");
    }

    @Test
    void localReferencesWork() {
        Schemas s = with("ports", "{\"path\":\"/config/*/port\",\"schema\":{\"$defs\":{\"port\":{\"type\":\"integer\",\"maximum\":65535}},"
                + "\"$ref\":\"#/$defs/port\"}}");
        s.check("/config/web/port", utf8("8080"));
        assertThat(refusal(() -> s.check("/config/web/port", utf8("70000")))).contains("65535");
    }

    @Test
    void twoSchemasOnOnePathBothHold() {
        VersionedTree t = new VersionedTree(StoreConfig.defaults());
        for (String[] s : new String[][] {{"obj", "{\"path\":\"/c/**\",\"schema\":{\"type\":\"object\"}}"},
                {"small", "{\"path\":\"/c/x\",\"schema\":{\"maxProperties\":1}}"}}) {
            t.apply(Command.newBuilder().setTxn(Txn.newBuilder().addSuccess(Op.newBuilder().setKind(Op.Kind.SET)
                    .setPath(SchemaRule.DIR + "/" + s[0]).setValue(ByteString.copyFromUtf8(s[1])))).build());
        }
        Schemas both = Schemas.of(t);
        assertThat(both.rules()).hasSize(2);
        both.check("/c/x", utf8("{\"a\":1}"));
        assertThat(refusal(() -> both.check("/c/x", utf8("{\"a\":1,\"b\":2}")))).contains("schema small");
        assertThat(refusal(() -> both.check("/c/x", utf8("3")))).contains("schema obj");
    }

    @Test
    void theStoreTakesSchemasOnlyDirectlyUnderTheirDirectory() {
        VersionedTree t = new VersionedTree(StoreConfig.defaults());
        assertThat(set(t, "/ctl/schema/a/b").error().code()).isEqualTo(Err.INVALID);
        assertThat(set(t, "/ctl/other").error().code()).isEqualTo(Err.READONLY);
        assertThat(set(t, "/ctl/schema/a").ok()).isTrue();
        assertThat(t.rev()).isEqualTo(1);
    }

    static io.cairn.node.store.ApplyResult set(VersionedTree t, String path) {
        return t.apply(Command.newBuilder().setTxn(Txn.newBuilder().addSuccess(Op.newBuilder().setKind(Op.Kind.SET)
                .setPath(path).setValue(ByteString.copyFromUtf8("{}")))).build());
    }
}
