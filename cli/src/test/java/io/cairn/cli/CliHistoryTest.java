package io.cairn.cli;

import static io.cairn.cli.CliTest.assertError;
import static io.cairn.cli.CliTest.cairnWithEnv;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.client.CairnClient;
import io.cairn.client.Versioned;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** cairn history, diff and rollback against a real node. */
class CliHistoryTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start(new StoreConfig(200, 1 << 20));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static CliTest.Run cairn(String... args) {
        return cairnWithEnv(Map.of("CAIRN_ENDPOINTS", node.endpoint()), args);
    }

    static long set(String path, String value) {
        CliTest.Run r = cairn("set", path, value);
        assertThat(r.code()).as(r.toString()).isZero();
        return Long.parseLong(r.line());
    }

    @Test
    void historyListsEveryKeptVersionOldestFirst() throws Exception {
        long r1 = set("/hist/h/color", "blue");
        long r2 = set("/hist/h/color", "green!");
        long r3 = Long.parseLong(cairn("del", "/hist/h/color").line());
        long r4 = set("/hist/h/color", "red");
        List<String> lines = cairn("history", "/hist/h/color").out().lines().toList();
        // REV SIZE TIME: when the leader proposed it (no author: the node runs with authorization off, the caller anonymous).
        assertThat(lines).extracting(l -> l.substring(0, l.lastIndexOf(' ')))
                .containsExactly(r1 + " 4", r2 + " 6", r3 + " DELETED", r4 + " 3");
        assertThat(lines).allSatisfy(l -> assertThat(java.time.Instant.parse(l.substring(l.lastIndexOf(' ') + 1)))
                .isBetween(java.time.Instant.now().minusSeconds(600), java.time.Instant.now()));
        JsonNode j = JSON.readTree(cairn("history", "/hist/h/color", "-o", "json").out());
        assertThat(j.get("versions")).hasSize(4);
        assertThat(j.get("versions").get(2).get("deleted").asBoolean()).isTrue();
        assertThat(cairn("get", "/hist/h/color", "--rev", Long.toString(r2)).line()).isEqualTo("green!");
        assertError(cairn("history", "/hist/h"), "ISDIR");
        assertError(cairn("history", "/hist/none"), "NOENT");
        assertError(cairn("history", "hist/relative"), "BAD_PATH");
    }

    @Test
    void diffShowsAddedChangedAndDeletedFilesWithTheirValues() throws Exception {
        set("/hist/d/keep", "same");
        set("/hist/d/color", "blue\nsky\n");
        long from = set("/hist/d/gone", "bye");
        set("/hist/d/color", "red\nsky\n");
        set("/hist/d/new", "hello");
        cairn("del", "/hist/d/gone");
        set("/hist/d/keep", "same"); // set again, to the same value: no change
        CliTest.Run d = cairn("diff", "/hist/d", "--from", Long.toString(from));
        assertThat(d.code()).isZero();
        List<String> lines = d.out().lines().toList();
        assertThat(lines).filteredOn(l -> l.matches("[AMD] /.*")).containsExactly("M /hist/d/color", "D /hist/d/gone", "A /hist/d/new");
        assertThat(lines).contains("-blue", "+red", " sky", "-bye", "+hello");
        assertThat(lines).anyMatch(l -> l.startsWith("--- /hist/d/color@" + from));
        assertThat(cairn("diff", "/hist/d", "--from", Long.toString(from), "--name-only").out().lines().toList())
                .containsExactly("M /hist/d/color", "D /hist/d/gone", "A /hist/d/new");
        JsonNode j = JSON.readTree(cairn("diff", "/hist/d", "--from", Long.toString(from), "--json").out());
        assertThat(j.get("changes")).hasSize(3);
        assertThat(j.get("changes").get(0).get("change").asText()).isEqualTo("changed");
        assertThat(j.get("changes").get(0).get("before").get("value").asText()).isEqualTo("blue\nsky\n");
        assertThat(cairn("diff", "/hist/d", "--from", Long.toString(from), "--to", Long.toString(from)).out()).isEmpty();
        assertThat(cairn("diff", "/hist/d").code()).as("--from is required").isEqualTo(2);
        assertError(cairn("diff", "/hist/d", "--from", "999999999"), "RANGE");
    }

    @Test
    void binaryValuesAreNamedNotPrinted() throws Exception {
        long from;
        try (CairnClient c = CairnClient.connect(node.endpoint())) {
            from = c.set("/hist/b/blob", new byte[] {0, (byte) 0xff}, -1);
            c.set("/hist/b/blob", new byte[] {0, (byte) 0xfe, 1}, -1);
        }
        assertThat(cairn("diff", "/hist/b", "--from", Long.toString(from)).out().lines().toList())
                .containsExactly("M /hist/b/blob", "Binary values differ (2 bytes -> 3 bytes)");
    }

    @Test
    void rollbackPutsAPrefixBackInOneRevisionAndRefusesWhatChangedSinceItLooked() throws Exception {
        set("/hist/r/a", "1");
        set("/hist/r/b", "2");
        long good = set("/hist/r/c/d", "3");
        set("/hist/r/a", "one");
        cairn("del", "/hist/r/b");
        set("/hist/r/e", "new");
        set("/hist/other", "untouched");

        CliTest.Run dry = cairn("rollback", "/hist/r", "--to", Long.toString(good), "--dry-run");
        assertThat(dry.code()).isZero();
        List<String> plan = dry.out().lines().toList();
        assertThat(plan).startsWith("SET /hist/r/a", "SET /hist/r/b", "DEL /hist/r/e");
        long looked = Long.parseLong(plan.get(3).replaceAll("looked at rev (\\d+);.*", "$1"));

        // Something changes after the look: --expect-rev refuses, and nothing moves.
        set("/hist/r/c/d", "three");
        CliTest.Run refused = cairn("rollback", "/hist/r", "--to", Long.toString(good), "--expect-rev", Long.toString(looked));
        assertError(refused, "REV_MISMATCH");
        assertThat(refused.err()).contains("changed after rev " + looked).contains("/hist/r/c/d");
        assertThat(cairn("get", "/hist/r/a").line()).isEqualTo("one");

        long done = Long.parseLong(cairn("rollback", "/hist/r", "--to", Long.toString(good)).line());
        try (CairnClient c = CairnClient.connect(node.endpoint())) {
            assertThat(values(c, good)).isEqualTo(values(c, done));
            assertThat(c.get("/hist/other", 0).text()).isEqualTo("untouched");
            // One revision: the watch from it sees every change at it.
            assertThat(c.diff("/hist/r", done - 1, done).items()).hasSize(4).allMatch(ch -> ch.after() == null || ch.after().rev() == done);
        }
        CliTest.Run again = cairn("rollback", "/hist/r", "--to", Long.toString(good));
        assertThat(again.code()).isZero();
        assertThat(again.err()).contains("nothing to roll back");
    }

    private static Map<String, String> values(CairnClient c, long rev) {
        Map<String, String> out = new TreeMap<>();
        for (Versioned v : c.walk("/hist/r/**", rev).items()) {
            out.put(v.path(), v.text());
        }
        return out;
    }
}
