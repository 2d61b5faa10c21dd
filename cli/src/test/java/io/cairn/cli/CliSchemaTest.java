package io.cairn.cli;

import static io.cairn.cli.CliTest.assertError;
import static io.cairn.cli.CliTest.cairnWithEnv;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** cairn schema, and a schema refusing what cairn set and cairn txn would write. */
class CliSchemaTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static TestNode node;
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start(StoreConfig.defaults());
        dir = Files.createTempDirectory("cairn-cli-schema");
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static CliTest.Run cairn(String... args) {
        return cairnWithEnv(Map.of("CAIRN_ENDPOINTS", node.endpoint()), args);
    }

    @Test
    void aSchemaRefusesBadValuesFromSetAndTxnUntilRemoved() throws Exception {
        Path schema = dir.resolve("flags.json");
        Files.writeString(schema, "{\"type\":\"object\",\"properties\":{\"percent\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":100}},"
                + "\"required\":[\"percent\"]}");
        CliTest.Run set = cairn("schema", "set", "flags", "/config/flags/**", schema.toString());
        assertThat(set.code()).as(set.toString()).isZero();
        assertThat(set.line()).startsWith("flags /config/flags/** (rev ");
        assertThat(cairn("schema", "list").line()).isEqualTo("flags /config/flags/**");
        JsonNode got = JSON.readTree(cairn("schema", "get", "flags", "-o", "json").out());
        assertThat(got.get("path").asText()).isEqualTo("/config/flags/**");
        assertThat(got.get("schema").get("required").get(0).asText()).isEqualTo("percent");

        assertThat(cairn("set", "/config/flags/checkout", "{\"percent\": 20}").code()).isZero();
        CliTest.Run refused = cairn("set", "/config/flags/checkout", "{\"percent\": 120}");
        assertError(refused, "INVALID");
        assertThat(refused.err()).contains("/config/flags/checkout: refused by schema flags").contains("maximum");
        CliTest.Run txn = cairn("txn", "--then", "set /config/flags/search {\"percent\":-1}");
        assertError(txn, "INVALID");
        assertThat(txn.err()).contains("/config/flags/search: refused by schema flags");
        assertThat(cairn("get", "/config/flags/checkout").line()).isEqualTo("{\"percent\": 20}");

        assertThat(cairn("schema", "rm", "flags").line()).startsWith("removed flags (rev ");
        assertThat(cairn("set", "/config/flags/checkout", "{\"percent\": 120}").code()).isZero();
        assertThat(cairn("schema", "list").out()).isEmpty();
    }

    @Test
    void badSchemasAndBadUsageAreRefusedWithTheReason() throws Exception {
        Path notJson = dir.resolve("broken.json");
        Files.writeString(notJson, "{\"type\": ");
        CliTest.Run r = cairn("schema", "set", "x", "/config/x/**", notJson.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("broken.json is not JSON");
        Path wrong = dir.resolve("wrong.json");
        Files.writeString(wrong, "{\"type\": \"strin\"}");
        r = cairn("schema", "set", "x", "/config/x/**", wrong.toString());
        assertError(r, "INVALID");
        assertThat(r.err()).contains("schema /ctl/schema/x: not a JSON Schema of https://json-schema.org/draft/2020-12/schema");
        r = cairn("schema", "set", "x", "config/x", wrong.toString());
        assertError(r, "INVALID");
        assertThat(r.err()).contains("must start with /");
        assertThat(cairn("schema", "set", "x", "/c/**", dir.resolve("missing.json").toString()).err()).contains("no file");
        assertThat(cairn("schema", "set", "a/b", "/c/**", wrong.toString()).err()).contains("one path segment");
        assertThat(cairn("schema", "frob").err()).contains("unknown schema action \"frob\"");
        assertError(cairn("schema", "get", "nothing"), "NOENT");
        assertThat(cairn("schema", "list").out()).isEmpty();
    }
}
