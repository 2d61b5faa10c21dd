package io.cairn.cli;

import static io.cairn.cli.CliTest.cairnWithEnv;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cairn.client.CairnClient;
import io.cairn.node.testing.TestNode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What etcdctl and kubectl users expect: -o, get/del --prefix, endpoint health|status, completion. */
class CliHabitsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static CliTest.Run cairn(String... args) {
        return cairnWithEnv(Map.of("CAIRN_ENDPOINTS", node.endpoint()), args);
    }

    @Test
    void everyFormatCarriesTheSameAnswer() throws Exception {
        long rev = Long.parseLong(cairn("set", "/habits/o/color", "blue\nsky").line());
        JsonNode json = JSON.readTree(cairn("get", "/habits/o/color", "-o", "json").out());
        assertThat(json.get("value").asText()).isEqualTo("blue\nsky");
        assertThat(JSON.readTree(cairn("-o", "json", "get", "/habits/o/color").out())).as("before the subcommand too").isEqualTo(json);
        assertThat(JSON.readTree(cairn("get", "/habits/o/color", "--json").out())).as("--json stays").isEqualTo(json);
        JsonNode yaml = new YAMLMapper().readTree(cairn("get", "/habits/o/color", "-o", "yaml").out());
        assertThat(yaml).isEqualTo(json);
        List<String> table = cairn("get", "/habits/o/color", "-o", "table").out().lines().toList();
        assertThat(table).hasSize(2);
        assertThat(table.get(0)).matches("PATH +VALUE +REV");
        assertThat(table.get(1)).as("a value stays on its line").matches("/habits/o/color +blue\\\\nsky +" + rev);
        assertThat(cairn("get", "/habits/o/color", "-o", "text").out()).isEqualTo("blue\nsky\n");
    }

    @Test
    void aListingIsATableOfItsRows() {
        cairn("set", "/habits/t/a", "1");
        cairn("set", "/habits/t/b", "22");
        List<String> walk = cairn("walk", "/habits/t/*", "-o", "table").out().lines().toList();
        assertThat(walk.get(0)).matches("PATH +VALUE +REV");
        assertThat(walk).hasSize(3);
        assertThat(walk.get(2)).startsWith("/habits/t/b").contains(" 22 ");
        List<String> ls = cairn("ls", "/habits/t", "-o", "table").out().lines().toList();
        assertThat(ls).containsExactly("NAME", "a", "b");
        List<String> members = cairn("members", "-o", "table").out().lines().toList();
        assertThat(members.get(0)).startsWith("ID").contains("ROLE").contains("LEADER").contains("APPLIED_REV");
        assertThat(members).hasSize(2);
    }

    @Test
    void aWatchInYamlIsOneDocumentPerEventAndInATableOneHeader() {
        cairn("set", "/habits/w/x", "0");
        long from = Long.parseLong(cairn("set", "/habits/w/x", "1").line());
        cairn("set", "/habits/w/x", "2");
        String yaml = cairn("watch", "/habits/w/*", "--from", Long.toString(from), "--count", "2", "-o", "yaml").out();
        assertThat(yaml.split("(?m)^---$")).hasSize(2);
        List<String> table = cairn("watch", "/habits/w/*", "--from", Long.toString(from), "--count", "2", "-o", "table").out().lines().toList();
        assertThat(table).hasSize(3);
        assertThat(table.get(0)).startsWith("PATH");
    }

    @Test
    void aBadFormatIsAUsageError() {
        CliTest.Run r = cairn("get", "/x", "-o", "xml");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("-o must be text, json, yaml or table, got \"xml\"");
    }

    @Test
    void getPrefixReadsEveryFileUnderAPathAtOneRevision() throws Exception {
        cairn("set", "/habits/p/a", "1");
        cairn("set", "/habits/p/d/b", "two\nlines");
        cairn("set", "/habits/pp", "not under /habits/p");
        assertThat(cairn("get", "--prefix", "/habits/p").out().lines().toList())
                .containsExactly("/habits/p/a 1", "/habits/p/d/b two\\nlines");
        assertThat(cairn("get", "--prefix", "--keys-only", "/habits/p").out().lines().toList())
                .containsExactly("/habits/p/a", "/habits/p/d/b");
        assertThat(cairn("get", "--prefix", "/habits/pp").out().lines().toList()).as("a file is its own prefix")
                .containsExactly("/habits/pp not under /habits/p");
        JsonNode j = JSON.readTree(cairn("get", "--prefix", "/habits/p", "--json").out());
        assertThat(j.get("files")).hasSize(2);
        assertThat(j.get("files").get(1).get("value").asText()).isEqualTo("two\nlines");
        assertThat(cairn("get", "--keys-only", "/habits/p").code()).isEqualTo(2);
        assertThat(cairn("get", "--prefix", "/habits/*").err()).contains("--prefix takes a path");
    }

    @Test
    void delPrefixDeletesEverythingUnderAPathInOneRevision() throws Exception {
        cairn("set", "/habits/d/a", "1");
        cairn("set", "/habits/d/b/c", "2");
        cairn("set", "/habits/dd", "kept");
        JsonNode j = JSON.readTree(cairn("del", "--prefix", "/habits/d", "--json").out());
        assertThat(j.get("deleted").asInt()).isEqualTo(2);
        long rev = j.get("rev").asLong();
        try (CairnClient c = CairnClient.connect(node.endpoint())) {
            List<io.cairn.client.Event> events = new java.util.ArrayList<>();
            try (io.cairn.client.Watch w = c.watch("/habits/**", rev, new io.cairn.client.WatchListener() {
                @Override
                public void onEvent(io.cairn.client.Event e) {
                    events.add(e);
                }

                @Override
                public void onError(io.cairn.client.CairnException e) { }
            })) {
                long end = System.nanoTime() + 10_000_000_000L;
                while (events.size() < 2 && System.nanoTime() < end) {
                    Thread.sleep(10);
                }
            }
            assertThat(events).hasSize(2).allMatch(e -> e.deleted() && e.rev() == rev);
            assertThat(c.get("/habits/dd", 0).text()).isEqualTo("kept");
        }
        assertThat(cairn("ls", "/habits/d").code()).isEqualTo(1);
        assertThat(cairn("del", "--prefix", "/habits/d", "--rev", "3").code()).isEqualTo(2);
        assertThat(cairn("del", "--prefix", "/habits/nothing-here").code()).as("nothing to delete is no error").isZero();
    }

    @Test
    void endpointHealthAndStatusCheckEachEndpointOnItsOwn() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        String list = node.endpoint() + ",127.0.0.1:" + dead;
        CliTest.Run health = cairnWithEnv(Map.of("CAIRN_ENDPOINTS", list), "endpoint", "health", "--timeout", "2s");
        assertThat(health.code()).as("an unhealthy endpoint fails the command").isEqualTo(1);
        List<String> lines = health.out().lines().toList();
        assertThat(lines.get(0)).startsWith(node.endpoint() + " is healthy: read rev ").endsWith(" ms");
        assertThat(lines.get(1)).startsWith("127.0.0.1:" + dead + " is unhealthy: UNAVAILABLE");
        CliTest.Run one = cairn("endpoint", "health", "--json");
        assertThat(one.code()).isZero();
        assertThat(JSON.readTree(one.out()).get(0).get("healthy").asBoolean()).isTrue();

        CliTest.Run status = cairn("endpoint", "status");
        assertThat(status.code()).isZero();
        List<String> rows = status.out().lines().toList();
        assertThat(rows.get(0)).matches("ENDPOINT +HEALTHY +REV +TOOK_MS +ID +ROLE +LEADER +BALLOT +APPLIED_SLOT");
        assertThat(rows.get(1)).startsWith(node.endpoint()).contains(" true ").contains(" leader ");
        JsonNode st = JSON.readTree(cairn("endpoint", "status", "-o", "json").out()).get(0);
        assertThat(st.get("id").asLong()).isEqualTo(st.get("leader").asLong());
        assertThat(st.get("applied_slot").asLong()).isPositive();
        assertThat(cairn("endpoint", "wellness").code()).isEqualTo(2);
    }

    @Test
    void completionScriptsNameEveryCommand() throws Exception {
        CliTest.Run bash = cairn("completion", "bash");
        assertThat(bash.code()).isZero();
        for (String cmd : List.of("get", "set", "del", "walk", "watch", "txn", "members", "endpoint", "completion")) {
            assertThat(bash.out()).contains(cmd);
        }
        assertThat(bash.out()).contains("complete -F").contains("--prefix");
        CliTest.Run zsh = cairn("completion", "zsh");
        assertThat(zsh.out()).startsWith("autoload -U +X compinit");
        assertThat(cairn("completion", "fish").code()).isEqualTo(2);
        // The script is valid bash.
        java.nio.file.Path f = java.nio.file.Files.createTempFile("cairn-completion", ".bash");
        try {
            java.nio.file.Files.writeString(f, bash.out());
            Process p = new ProcessBuilder("bash", "-n", f.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }
}
