package io.cairn.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpGatewayTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static TestNode node;
    static HttpClient http;

    @BeforeAll
    static void start() {
        node = TestNode.start(new StoreConfig(20, 1024));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.httpBase() + path)).timeout(Duration.ofSeconds(10));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void oversizedRequestsGetTheirOwnStatusAndAJsonError() throws Exception {
        HttpResponse<String> body = send("PUT", "/v1/kv/http/big", "x".repeat(200_000));
        assertThat(body.statusCode()).isEqualTo(413);
        assertThat(json(body).get("error").asText()).isEqualTo("TOO_LARGE");
        HttpResponse<String> uri = send("GET", "/v1/kv/http/" + "a".repeat(20_000), null);
        assertThat(uri.statusCode()).isEqualTo(414);
        assertThat(json(uri).get("error").asText()).isEqualTo("TOO_LARGE");
        HttpResponse<String> headers = http.send(HttpRequest.newBuilder(URI.create(node.httpBase() + "/v1/rev"))
                .header("X-Big", "h".repeat(20_000)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(headers.statusCode()).isEqualTo(431);
        assertThat(json(headers).get("detail").asText()).contains("headers are longer than");
    }

    /** Netty's own 417 and 100-continue 413 had empty bodies (found by HttpGatewayFuzzTest). */
    @Test
    void expectationsRefusedWithAJsonError() throws Exception {
        for (String[] c : new String[][] {{"nope", "1", "417", "INVALID"}, {"100-continue", "200000", "413", "TOO_LARGE"}}) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", java.net.URI.create(node.httpBase()).getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("PUT /v1/kv/http/expect HTTP/1.1\r\nHost: x\r\nExpect: " + c[0]
                        + "\r\nContent-Length: " + c[1] + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                        java.nio.charset.StandardCharsets.UTF_8));
                assertThat(in.readLine()).startsWith("HTTP/1.1 " + c[2]);
                int length = 0;
                for (String h = in.readLine(); !h.isEmpty(); h = in.readLine()) {
                    if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(h.substring(15).trim());
                    }
                }
                char[] body = new char[length];
                int got = 0;
                while (got < length) {
                    got += in.read(body, got, length - got);
                }
                assertThat(JSON.readTree(new String(body)).get("error").asText()).isEqualTo(c[3]);
            }
        }
        assertThat(json(send("GET", "/v1/kv/http/expect", null)).get("error").asText()).isEqualTo("NOENT");
    }

    /** Found by HttpGatewayFuzzTest: a bad percent-escape closed the connection without an answer. */
    @Test
    void aBadPercentEscapeIsABadRequest() throws Exception {
        for (String target : new String[] {"/v1/kv/http/%zz", "/v1/walk?glob=%", "%/readyz"}) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", URI.create(node.httpBase()).getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String whole = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertThat(whole).as(target).startsWith("HTTP/1.1 400");
                JsonNode err = JSON.readTree(whole.substring(whole.indexOf("\r\n\r\n") + 4));
                assertThat(err.get("error").asText()).isEqualTo("INVALID");
                assertThat(err.get("detail").asText()).startsWith("bad request target");
            }
        }
    }

    @Test
    void putGetDeleteAndList() throws Exception {
        HttpResponse<String> put = send("PUT", "/v1/kv/http/app/name", "cairn");
        assertThat(put.statusCode()).isEqualTo(200);
        long rev = json(put).get("rev").asLong();

        JsonNode got = json(send("GET", "/v1/kv/http/app/name", null));
        assertThat(got.get("value").asText()).isEqualTo("cairn");
        assertThat(got.get("rev").asLong()).isEqualTo(rev);
        assertThat(json(send("GET", "/v1/kv/http/app", null)).get("rev").asLong()).isEqualTo(-2);

        HttpResponse<String> stale = send("PUT", "/v1/kv/http/app/name?rev=" + (rev + 10), "x");
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(json(stale).get("error").asText()).isEqualTo("REV_MISMATCH");

        JsonNode ls = json(send("GET", "/v1/ls/http/app", null));
        assertThat(ls.get("names").get(0).asText()).isEqualTo("name");
        JsonNode root = json(send("GET", "/v1/ls/", null));
        assertThat(root.get("names").toString()).contains("http").contains("ctl");

        assertThat(json(send("GET", "/v1/kv/http/app/name?rev=" + rev, null)).get("value").asText()).isEqualTo("cairn");
        assertThat(send("DELETE", "/v1/kv/http/app/name?rev=" + rev, null).statusCode()).isEqualTo(200);
        HttpResponse<String> gone = send("GET", "/v1/kv/http/app/name", null);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(json(gone).get("error").asText()).isEqualTo("NOENT");
        JsonNode revs = json(send("GET", "/v1/rev", null));
        assertThat(revs.get("rev").asLong()).isGreaterThan(rev);
    }

    @Test
    void errorsMapToStatusCodes() throws Exception {
        assertThat(send("PUT", "/v1/kv/ctl/x", "v").statusCode()).isEqualTo(403);
        assertThat(send("PUT", "/v1/kv/bad%20path", "v").statusCode()).isEqualTo(400);
        assertThat(send("PUT", "/v1/kv/big", "x".repeat(2000)).statusCode()).isEqualTo(413);
        assertThat(send("GET", "/v1/kv/a?rev=abc", null).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/v1/ls/nothing/here", null).statusCode()).isEqualTo(404);
        assertThat(send("PATCH", "/v1/kv/a", "v").statusCode()).isEqualTo(405);
        assertThat(send("GET", "/v2/what", null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/v1/watch", null).statusCode()).isEqualTo(400);
    }

    /**
     * Listing and watch bounds are the wire protocol's, with its words: an offset past an int
     * once wrapped to a page from the start, and a negative watch start began a stream.
     */
    @Test
    void listingAndWatchBoundsAreTheProtocols() throws Exception {
        HttpResponse<String> wrapped = send("GET", "/v1/ls/?offset=4294967296", null);
        assertThat(wrapped.statusCode()).isEqualTo(400);
        assertThat(json(wrapped).get("detail").asText()).contains("offset 4294967296 is outside 0..");
        assertThat(send("GET", "/v1/walk?glob=/**&offset=-1", null).statusCode()).isEqualTo(400);
        HttpResponse<String> page = send("GET", "/v1/walk?glob=/**&limit=0", null);
        assertThat(page.statusCode()).isEqualTo(400);
        assertThat(json(page).get("detail").asText()).contains("limit 0 is outside 1..");
        HttpResponse<String> from = send("GET", "/v1/watch?glob=/**&from=-5", null);
        assertThat(from.statusCode()).isEqualTo(400);
        assertThat(json(from).get("detail").asText()).contains("from revision -5 is negative");
    }

    @Test
    void historyAndDiffAnswerAsTheWireProtocolDoes() throws Exception {
        send("PUT", "/v1/kv/http/hd/b", "gone soon");
        long r1 = json(send("PUT", "/v1/kv/http/hd/a", "one")).get("rev").asLong();
        long r2 = json(send("PUT", "/v1/kv/http/hd/a", "two")).get("rev").asLong();
        send("DELETE", "/v1/kv/http/hd/b", null);
        send("PUT", "/v1/kv/http/hd/c", "new");
        JsonNode h = json(send("GET", "/v1/history/http/hd/a", null));
        assertThat(h.get("versions")).hasSize(2);
        assertThat(h.get("versions").get(0).get("rev").asLong()).isEqualTo(r1);
        assertThat(h.get("versions").get(1).get("rev").asLong()).isEqualTo(r2);
        assertThat(h.get("versions").get(1).get("size").asInt()).isEqualTo(3);
        HttpResponse<String> page = send("GET", "/v1/history/http/hd/a?limit=1", null);
        assertThat(json(page).get("versions")).hasSize(1);
        assertThat(json(page).get("more").asBoolean()).isTrue();
        assertThat(json(send("GET", "/v1/history/http/hd", null)).get("error").asText()).isEqualTo("ISDIR");
        assertThat(json(send("GET", "/v1/history/http/none", null)).get("error").asText()).isEqualTo("NOENT");

        JsonNode d = json(send("GET", "/v1/diff/http/hd?from=" + r1, null));
        assertThat(d.get("changes")).hasSize(3);
        assertThat(d.get("changes").get(0).get("path").asText()).isEqualTo("/http/hd/a");
        assertThat(d.get("changes").get(0).get("change").asText()).isEqualTo("changed");
        assertThat(d.get("changes").get(0).get("before").get("value").asText()).isEqualTo("one");
        assertThat(d.get("changes").get(1).get("change").asText()).isEqualTo("deleted");
        assertThat(d.get("changes").get(2).get("change").asText()).isEqualTo("added");
        assertThat(json(send("GET", "/v1/diff/http/hd", null)).get("error").asText()).isEqualTo("MISSING_ARG");
        assertThat(send("GET", "/v1/diff/http/hd?from=" + r2 + "&to=" + r1, null).statusCode()).isEqualTo(400);
    }

    @Test
    void prometheusMetrics() throws Exception {
        send("PUT", "/v1/kv/metrics/x", "1");
        HttpResponse<String> m = send("GET", "/metrics", null);
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        assertThat(m.body()).contains("cairn_revision").contains("cairn_is_leader 1.0").contains("cairn_wal_syncs_total")
                .containsPattern("cairn_writes_total\\{result=\"ok\"} [1-9]");
    }

    @Test
    void healthAndReadiness() throws Exception {
        assertThat(send("GET", "/healthz", null).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = send("GET", "/readyz", null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("ready");
    }

    @Test
    void watchStreamsServerSentEventsFromARevision() throws Exception {
        long start = json(send("GET", "/v1/rev", null)).get("rev").asLong() + 1;
        send("PUT", "/v1/kv/sse/a", "1");
        send("PUT", "/v1/kv/sse/b", "2");
        send("DELETE", "/v1/kv/sse/a", null);
        HttpRequest req = HttpRequest.newBuilder(URI.create(node.httpBase() + "/v1/watch?glob=/sse/**&from=" + start)).build();
        HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<String> events = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            String type = null;
            String line;
            while (events.size() < 4 && (line = r.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    JsonNode d = JSON.readTree(line.substring(6));
                    events.add(type + " " + d.get("path").asText());
                    if (events.size() == 3) {
                        send("PUT", "/v1/kv/sse/c", "3");
                    }
                }
            }
        }
        assertThat(events).containsExactly("set /sse/a", "set /sse/b", "del /sse/a", "set /sse/c");
    }

    @Test
    void watchFromACompactedRevisionIsGone() throws Exception {
        for (int i = 0; i < 30; i++) {
            send("PUT", "/v1/kv/churn", "v" + i);
        }
        HttpResponse<String> r = send("GET", "/v1/watch?glob=/**&from=1", null);
        assertThat(r.statusCode()).isEqualTo(410);
        assertThat(json(r).get("error").asText()).isEqualTo("TOO_LATE");
        // The watch's connection is closed after its error, and the response says so, so the
        // client does not send the next request down a closed connection.
        assertThat(r.headers().firstValue("connection")).hasValue("close");
        assertThat(send("GET", "/v1/rev", null).statusCode()).isEqualTo(200);
    }
}
