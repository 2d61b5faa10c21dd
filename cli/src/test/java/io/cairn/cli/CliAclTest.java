package io.cairn.cli;

import static io.cairn.cli.CliTest.assertError;
import static io.cairn.cli.CliTest.cairnWithEnv;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** cairn whoami and cairn acl against a node that enforces its policy, with tokens from a token file. */
class CliAclTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static TestNode node;
    static Path tokens;

    @BeforeAll
    static void start() throws Exception {
        tokens = Files.createTempFile("cairn-cli-tokens", ".csv");
        Files.writeString(tokens, "root-tok,root,0,\"cairn:admins\"\nann-tok,ann,1,\"developers\"\n");
        node = TestNode.start(StoreConfig.defaults(), null, new AuthConfig(true, List.of(), tokens, null, null, null, null, null));
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        Files.deleteIfExists(tokens);
    }

    static CliTest.Run as(String token, String... args) {
        Map<String, String> env = new HashMap<>(Map.of("CAIRN_ENDPOINTS", node.endpoint()));
        if (token != null) {
            env.put("CAIRN_TOKEN", token);
        }
        return cairnWithEnv(env, args);
    }

    @Test
    void whoamiNamesTheCallerAndABadTokenIsRefusedWithTheReason() throws Exception {
        assertThat(as("ann-tok", "whoami").out()).startsWith("ann\ngroups: developers, system:authenticated\n");
        JsonNode j = JSON.readTree(as("root-tok", "whoami", "-o", "json").out());
        assertThat(j.get("groups").toString()).contains("cairn:admins");
        assertThat(as(null, "whoami").out()).startsWith("anonymous\n");
        assertError(as("nope", "get", "/x"), "PERMISSION_DENIED");
        assertThat(as("nope", "get", "/x").err()).contains("ACCESS refused: unknown token");
        CliTest.Run both = cairnWithEnv(Map.of("CAIRN_ENDPOINTS", node.endpoint(), "CAIRN_TOKEN", "a",
                "CAIRN_TOKEN_FILE", tokens.toString()), "whoami");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("give a token or a token file, not both");
    }

    @Test
    void grantCheckListAndRevokeChangeWhatACallerMayDo() throws Exception {
        assertThat(as("root-tok", "set", "/team/plan", "v1").code()).isZero();
        assertError(as("ann-tok", "get", "/team/plan"), "PERMISSION_DENIED");
        assertThat(as("ann-tok", "get", "/team/plan").err()).contains("identity ann lacks the read right on /team/plan");
        CliTest.Run no = as("root-tok", "acl", "check", "ann", "/team/plan", "read", "--group", "developers");
        assertThat(no.code()).isEqualTo(1);
        assertThat(no.line()).isEqualTo("no");

        CliTest.Run grant = as("root-tok", "acl", "grant", "group:developers", "/team/**", "read");
        assertThat(grant.code()).as(grant.toString()).isZero();
        assertThat(as("root-tok", "acl", "grant", "group:developers", "/team/**", "write,watch").line()).contains("read,write,watch");
        assertThat(as("ann-tok", "get", "/team/plan").line()).isEqualTo("v1");
        assertThat(as("ann-tok", "set", "/team/plan", "v2").code()).isZero();
        assertThat(as("root-tok", "acl", "check", "ann", "/team/x", "write", "--group", "developers").line()).isEqualTo("yes");
        // A developer may not read the policy, nor grant itself more.
        assertError(as("ann-tok", "acl", "list"), "PERMISSION_DENIED");
        assertError(as("ann-tok", "acl", "grant", "ann", "/**", "admin"), "PERMISSION_DENIED");

        JsonNode rules = JSON.readTree(as("root-tok", "acl", "list", "-o", "json").out()).get("rules");
        assertThat(rules).hasSize(1);
        assertThat(rules.get(0).get("subject").asText()).isEqualTo("group:developers");
        assertThat(rules.get(0).get("rights").toString()).isEqualTo("[\"read\",\"write\",\"watch\"]");
        // History shows who changed the plan.
        assertThat(as("root-tok", "history", "/team/plan").out().lines().toList())
                .satisfiesExactly(l -> assertThat(l).endsWith(" root"), l -> assertThat(l).endsWith(" ann"));

        assertThat(as("root-tok", "acl", "revoke", "group:developers", "/team/**", "write").line()).startsWith("now read,watch ");
        assertError(as("ann-tok", "set", "/team/plan", "v3"), "PERMISSION_DENIED");
        assertThat(as("root-tok", "acl", "revoke", "group:developers", "/team/**").line()).startsWith("deleted ");
        assertError(as("ann-tok", "get", "/team/plan"), "PERMISSION_DENIED");
        assertThat(as("root-tok", "acl", "list").out()).isEmpty();
    }

    @Test
    void badAclUsageIsRefusedBeforeAnythingIsWritten() {
        assertThat(as("root-tok", "acl", "grant", "ann", "/a").code()).isEqualTo(2);
        CliTest.Run badRight = as("root-tok", "acl", "grant", "ann", "/a/**", "fly");
        assertThat(badRight.code()).isEqualTo(2);
        assertThat(badRight.err()).contains("unknown right \"fly\"");
        CliTest.Run badPath = as("root-tok", "acl", "grant", "ann", "a/b", "read");
        assertError(badPath, "INVALID");
        assertThat(badPath.err()).contains("must start with /");
        assertThat(as("root-tok", "acl", "frobnicate").err()).contains("unknown acl action \"frobnicate\"");
        assertThat(as("root-tok", "acl", "list").out()).doesNotContain("ann");
    }
}
