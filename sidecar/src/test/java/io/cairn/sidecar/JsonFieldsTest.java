package io.cairn.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonFieldsTest {
    @Test
    void writesAnObjectAJsonParserReadsBackFieldForField() throws Exception {
        String text = new JsonFields().field("pod", "web-0 \"quoted\" \\ tab\t nl\n é").field("rev", 42L).field("ready", false)
                .field("prefixes", List.of("/config/a", "/config/\"b\"")).field("empty", List.of()).toString();
        JsonNode n = new ObjectMapper().readTree(text);
        assertThat(n.path("pod").asText()).isEqualTo("web-0 \"quoted\" \\ tab\t nl\n é");
        assertThat(n.path("rev").asLong()).isEqualTo(42);
        assertThat(n.path("ready").isBoolean()).isTrue();
        assertThat(n.path("ready").asBoolean()).isFalse();
        assertThat(n.path("prefixes").size()).isEqualTo(2);
        assertThat(n.path("prefixes").get(1).asText()).isEqualTo("/config/\"b\"");
        assertThat(n.path("empty").isArray()).isTrue();
        assertThat(n.size()).isEqualTo(5);
    }

    @Test
    void aNullStringIsJsonNull() throws Exception {
        assertThat(new ObjectMapper().readTree(new JsonFields().field("ip", (String) null).toString()).path("ip").isNull()).isTrue();
    }

    @Test
    void anObjectWithoutFieldsIsEmpty() {
        assertThat(new JsonFields().toString()).isEqualTo("{}");
    }
}
