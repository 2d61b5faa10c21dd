package io.cairn.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.testing.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * What the console is served from and reads: its files from the member's jar, the root sending a
 * browser to it, and /v1/members asking every member of a three-member cluster for its status.
 * (The console itself is driven in a real browser by ui-test/, with Playwright.)
 */
class ConsoleTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void theConsoleIsServedAndTheMembersAnswerForThemselves() throws Exception {
        try (TestCluster cluster = TestCluster.start(AuthConfig.OFF)) {
            String base = "http://127.0.0.1:" + cluster.member(1).httpAddress().getPort();
            HttpResponse<String> index = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ui/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(index.statusCode()).isEqualTo(200);
            assertThat(index.headers().firstValue("content-type").orElse("")).startsWith("text/html");
            assertThat(index.body()).contains("<title>Cairn</title>").contains("app.js");
            HttpResponse<String> js = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ui/app.js")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(js.headers().firstValue("content-type").orElse("")).startsWith("text/javascript");
            assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ui/nothing.js")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(404);
            HttpResponse<String> root = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/")).header("Accept", "text/html").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(root.statusCode()).isEqualTo(302);
            assertThat(root.headers().firstValue("location")).hasValue("/ui/");
            // Not a browser: still the JSON 404 an API client expects.
            assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(404);

            JsonNode members = new ObjectMapper().readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/members")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).get("members");
            assertThat(members).hasSize(3);
            int leaders = 0;
            for (JsonNode m : members) {
                assertThat(m.get("reachable").asBoolean()).as(m.toString()).isTrue();
                assertThat(m.get("role").asText()).isEqualTo("voter");
                assertThat(m.get("ballot").asText()).isNotEmpty();
                assertThat(m.get("lag").asLong()).isGreaterThanOrEqualTo(0);
                leaders += m.get("leader").asBoolean() ? 1 : 0;
            }
            assertThat(leaders).isEqualTo(1);
            JsonNode who = new ObjectMapper().readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/whoami")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(who.get("enforcing").asBoolean()).isFalse();
            // A member that went away is listed, unreachable.
            cluster.member(2).close();
            JsonNode after = new ObjectMapper().readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/members")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).get("members");
            assertThat(after).anyMatch(m -> m.get("id").asLong() == 3 && !m.get("reachable").asBoolean());
        }
    }
}
