package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_VALUE = 1024;
    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start(new StoreConfig(40, MAX_VALUE));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    record Run(int code, String out, String err) {
        String line() {
            return out.strip();
        }
    }

    static Run cairn(String... args) {
        return cairnWithEnv(Map.of("CAIRN_ENDPOINTS", node.endpoint()), args);
    }

    static Run cairnWithEnv(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = CairnCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static void assertError(Run r, String code) {
        assertThat(r.code()).as("exit code of %s", r).isEqualTo(1);
        assertThat(r.err()).as("one line on stderr").startsWith("cairn: " + code + ": ");
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
    }

    @Test
    void getWritesTheExactBytes() throws Exception {
        byte[] bin = {0x00, 0x01, (byte) 0xff, (byte) 0xfe, '\n'};
        try (io.cairn.client.CairnClient c = io.cairn.client.CairnClient.connect(node.endpoint())) {
            c.set("/cli/bin", bin, -1);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = CairnCli.run(new String[] {"get", "--raw", "/cli/bin"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Map.of("CAIRN_ENDPOINTS", node.endpoint()));
        assertThat(code).isZero();
        assertThat(out.toByteArray()).containsExactly(bin);
        out.reset();
        CairnCli.run(new String[] {"get", "/cli/bin"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Map.of("CAIRN_ENDPOINTS", node.endpoint()));
        byte[] withNewline = java.util.Arrays.copyOf(bin, bin.length + 1);
        withNewline[bin.length] = '\n';
        assertThat(out.toByteArray()).containsExactly(withNewline);
    }

    @Test
    void aClientPointedAtTheHttpPortIsToldSo() {
        String http = "127.0.0.1:" + node.httpAddress().getPort();
        Run get = cairn("--endpoints", http, "get", "/cli/x");
        assertThat(get.code()).isEqualTo(1);
        assertThat(get.err()).contains(http + " does not speak the Cairn protocol: it answered in HTTP");
        Run set = cairn("--endpoints", http, "set", "/cli/x", "1");
        assertThat(set.err()).contains("does not speak the Cairn protocol").contains("nothing was written")
                .doesNotContain("outcome is unknown");
    }

    @Test
    void everySubcommandHasHelp() {
        for (String[] args : new String[][] {{"txn", "--help"}, {"get", "-h"}, {"help", "set"}, {"members", "--help"},
                {"watch", "-h"}}) {
            Run r = cairnWithEnv(Map.of(), args);
            assertThat(r.code()).as(String.join(" ", args) + ": " + r).isZero();
            String cmd = args[0].equals("help") ? args[1] : args[0];
            assertThat(r.out()).as(String.join(" ", args)).contains("Usage: cairn " + cmd);
        }
        Run top = cairnWithEnv(Map.of(), "help");
        assertThat(top.code()).isZero();
        assertThat(top.out()).contains("Usage: cairn").contains("txn");
    }

    @Test
    void setGetDelWithText() {
        Run set = cairn("set", "/cli/greeting", "hello world");
        assertThat(set.code()).isZero();
        long rev = Long.parseLong(set.line());
        assertThat(cairn("get", "/cli/greeting").line()).isEqualTo("hello world");
        Run stale = cairn("set", "/cli/greeting", "x", "--rev", Long.toString(rev - 1));
        assertError(stale, "REV_MISMATCH");
        assertThat(stale.err()).contains("is at rev " + rev);
        long rev2 = Long.parseLong(cairn("set", "/cli/greeting", "again", "--rev", Long.toString(rev)).line());
        assertThat(cairn("get", "/cli/greeting", "--rev", Long.toString(rev)).line()).isEqualTo("hello world");
        assertThat(cairn("del", "/cli/greeting", "--rev", Long.toString(rev2)).code()).isZero();
        assertError(cairn("get", "/cli/greeting"), "NOENT");
    }

    @Test
    void jsonOutput() throws Exception {
        cairn("set", "/cli/j/a", "1");
        JsonNode get = JSON.readTree(cairn("--json", "get", "/cli/j/a").out());
        assertThat(get.get("path").asText()).isEqualTo("/cli/j/a");
        assertThat(get.get("value").asText()).isEqualTo("1");
        assertThat(get.get("rev").asLong()).isPositive();
        // The flag works after the subcommand too.
        assertThat(JSON.readTree(cairn("get", "/cli/j/a", "--json").out()).get("value").asText()).isEqualTo("1");
        JsonNode ls = JSON.readTree(cairn("ls", "/cli/j", "--json").out());
        assertThat(ls.get("names").get(0).asText()).isEqualTo("a");
        JsonNode rev = JSON.readTree(cairn("rev", "--json").out());
        assertThat(rev.has("rev") && rev.has("oldest")).isTrue();
        JsonNode stat = JSON.readTree(cairn("stat", "/cli/j", "--json").out());
        assertThat(stat.get("dir").asBoolean()).isTrue();
        assertThat(stat.get("children").asInt()).isEqualTo(1);
        JsonNode walk = JSON.readTree(cairn("walk", "/cli/j/*", "--json").out());
        assertThat(walk.get("files").size()).isEqualTo(1);
    }

    @Test
    void lsWalkStatRev() {
        cairn("set", "/cli/tree/b", "2");
        cairn("set", "/cli/tree/a", "1");
        cairn("set", "/cli/tree/sub/c", "3");
        assertThat(cairn("ls", "/cli/tree").out().lines()).containsExactly("a", "b", "sub");
        assertThat(cairn("walk", "/cli/tree/**").out().lines()).hasSize(3)
                .allMatch(l -> l.matches("/cli/tree/\\S+ \\d+ \\d"));
        assertThat(cairn("stat", "/cli/tree/a").line()).matches("/cli/tree/a file rev=\\d+ len=1");
        assertThat(cairn("stat", "/cli/tree").line()).isEqualTo("/cli/tree dir children=3");
        assertThat(Long.parseLong(cairn("rev").line())).isPositive();
    }

    @Test
    void multiLineAndBinaryValuesStayOnOneLineInWalkWatchAndTxn() {
        long from = Long.parseLong(cairn("set", "/cli/ml/text", "line one\nline\ttwo \\ end\r\n").line());
        cairn("set", "/cli/ml/plain", "nothing to escape: é");
        assertThat(cairn("walk", "/cli/ml/*").out().lines()).containsExactly(
                "/cli/ml/plain " + (from + 1) + " nothing to escape: é",
                "/cli/ml/text " + from + " line one\\nline\\ttwo \\\\ end\\r\\n");
        assertThat(cairn("watch", "/cli/ml/*", "--from", Long.toString(from), "--count", "1").out().lines())
                .containsExactly(from + " SET /cli/ml/text line one\\nline\\ttwo \\\\ end\\r\\n");
        assertThat(cairn("txn", "--then", "get /cli/ml/text").out().lines())
                .contains("GET /cli/ml/text " + from + " line one\\nline\\ttwo \\\\ end\\r\\n");
        assertThat(cairn("get", "--raw", "/cli/ml/text").out()).as("get --raw gives the value as it is").isEqualTo("line one\nline\ttwo \\ end\r\n");
        assertThat(ClientCommand.oneLine(new byte[] {0x41, (byte) 0xff, 0x00, 0x5c})).isEqualTo("A\\xff\\x00\\\\");
    }

    @Test
    void watchPrintsOneLinePerEventAndStopsAtCount() {
        long from = Long.parseLong(cairn("rev").line()) + 1;
        cairn("set", "/cli/w/x", "1");
        cairn("set", "/cli/w/y", "two words");
        cairn("del", "/cli/w/x");
        Run w = cairn("watch", "/cli/w/**", "--from", Long.toString(from), "--count", "3");
        assertThat(w.code()).isZero();
        assertThat(w.out().lines()).containsExactly(
                from + " SET /cli/w/x 1",
                (from + 1) + " SET /cli/w/y two words",
                (from + 2) + " DEL /cli/w/x");
    }

    @Test
    void waitBlocksUntilAChange() throws Exception {
        // Without --from the wait starts at the next change after it connects, which a test cannot
        // see happen: change the file until the wait answers; it reports one of those changes.
        CompletableFuture<Run> waiting = CompletableFuture.supplyAsync(() -> cairn("wait", "/cli/wait/*", "--for", "20s"));
        java.util.List<String> made = new java.util.ArrayList<>();
        for (int i = 0; i < 100 && !waiting.isDone(); i++) {
            made.add(cairn("set", "/cli/wait/x", "go" + i).line() + " SET /cli/wait/x go" + i);
            Thread.sleep(100);
        }
        Run r = waiting.get(20, TimeUnit.SECONDS);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(made).contains(r.line());
        // With --from it reports the first change at or after that revision, made before or after.
        long next = Long.parseLong(cairn("rev").line()) + 1;
        long rev = Long.parseLong(cairn("set", "/cli/wait/y", "later").line());
        assertThat(cairn("wait", "/cli/wait/*", "--from", Long.toString(next), "--for", "20s").line())
                .isEqualTo(rev + " SET /cli/wait/y later");
        Run quiet = cairn("wait", "/cli/wait/never", "--for", "200ms");
        assertThat(quiet.code()).as("a quiet store is not an unreachable one").isEqualTo(3);
        assertThat(quiet.err()).startsWith("cairn: TIMEOUT: no change matching /cli/wait/never within 200ms");
    }

    @Test
    void txn() {
        long rev = Long.parseLong(cairn("set", "/cli/tx/a", "1").line());
        Run ok = cairn("txn", "--if", "/cli/tx/a rev = " + rev, "--then", "set /cli/tx/a 2", "--then", "set /cli/tx/b new value",
                "--else", "get /cli/tx/a");
        assertThat(ok.code()).isZero();
        assertThat(ok.out().lines().findFirst().orElseThrow()).isEqualTo("SUCCEEDED rev " + (rev + 1));
        assertThat(cairn("get", "/cli/tx/b").line()).isEqualTo("new value");
        Run no = cairn("txn", "--if", "/cli/tx/a rev = " + rev, "--then", "set /cli/tx/a 3", "--else", "get /cli/tx/a");
        assertThat(no.out().lines()).containsExactly("FAILED rev " + (rev + 1), "GET /cli/tx/a " + (rev + 1) + " 2");
        assertThat(cairn("txn", "--if", "/cli/tx/a bogus = 1").code()).isEqualTo(2);
        assertThat(cairn("txn").code()).isEqualTo(2);
    }

    @Test
    void everyReachableErrorCodeThroughTheCli() throws IOException {
        cairn("set", "/cli/err/file", "v");
        assertError(cairn("get", "no-slash"), "BAD_PATH");
        assertError(cairn("get", "/cli/err/none"), "NOENT");
        assertError(cairn("get", "/cli/err"), "ISDIR");
        assertError(cairn("set", "/cli/err/file/x", "v"), "NOTDIR");
        assertError(cairn("ls", "/cli/err/file"), "NOTDIR");
        assertError(cairn("set", "/cli/err/big", "x".repeat(MAX_VALUE + 1)), "TOO_LARGE");
        // Past the frame limit (the value limit plus 64 KiB), not only the value limit.
        assertError(cairn("set", "/cli/err/big", "x".repeat(2 << 20)), "TOO_LARGE");
        assertError(cairn("set", "/ctl/nope", "v"), "READONLY");
        assertError(cairn("get", "/cli/err/file", "--rev", "99999999"), "RANGE");
        assertError(cairn("set", "/cli/err/file", "v", "--rev", "-5"), "INVALID");
        long old = Long.parseLong(cairn("rev").line());
        for (int i = 0; i < 45; i++) {
            cairn("set", "/cli/err/churn", "v" + i);
        }
        assertError(cairn("get", "/cli/err/file", "--rev", Long.toString(old)), "TOO_LATE");
        assertError(cairn("watch", "/cli/**", "--from", Long.toString(old)), "TOO_LATE");
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        assertError(cairn("--endpoints", "127.0.0.1:" + dead, "rev"), "UNAVAILABLE");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(cairn("frobnicate").code()).isEqualTo(2);
        assertThat(cairn("get").code()).isEqualTo(2);
        Run badEndpoints = cairnWithEnv(Map.of("CAIRN_ENDPOINTS", "host:nope"), "rev");
        assertThat(badEndpoints.code()).isEqualTo(2);
        assertThat(badEndpoints.err()).contains("bad endpoints").contains("bad port");
        assertThat(cairn("--timeout", "soon", "rev").code()).isEqualTo(2);
        assertThat(cairn("watch", "/x", "--count", "-1").code()).isEqualTo(2);
    }

    @Test
    void membersOfAClusterOfOne() throws Exception {
        Run list = cairn("members");
        assertThat(list.code()).isZero();
        assertThat(list.out().lines()).hasSize(2);
        assertThat(list.out().lines().skip(1).findFirst().orElseThrow()).matches("1\\s+voter\\s+\\*\\s+127\\.0\\.0\\.1:\\d+.*\\d+");
        JsonNode json = JSON.readTree(cairn("members", "--json").out());
        assertThat(json.get(0).get("id").asLong()).isEqualTo(1);
        assertThat(json.get(0).get("role").asText()).isEqualTo("voter");
        assertThat(json.get(0).get("leader").asBoolean()).isTrue();
        assertThat(json.get(0).get("applied_rev").asLong()).isPositive();
        Run last = cairn("members", "remove", "1");
        assertError(last, "INVALID");
        assertThat(last.err()).contains("last voter");
        assertError(cairn("members", "promote", "9"), "NOENT");
        assertThat(cairn("members", "add", "2").code()).isEqualTo(2);
        assertThat(cairn("members", "frobnicate").code()).isEqualTo(2);
        assertError(cairn("members", "add", "2", "--peer", "nope", "--client", "a:1", "--http", "b:2"), "INVALID");
    }

    @Test
    void presenceAndSessions() throws Exception {
        try (io.cairn.client.CairnClient c = io.cairn.client.CairnClient.connect(node.endpoint())) {
            io.cairn.client.Session s = c.openSession(java.time.Duration.ofSeconds(30));
            s.set("/presence/prod/web/web-7d9f-abc", "{\"pod\":\"web-7d9f-abc\",\"ip\":\"10.1.2.3\",\"status\":\"ready\"}", -1);
            Run table = cairn("presence");
            assertThat(table.code()).isZero();
            assertThat(table.out().lines().skip(1).findFirst().orElseThrow())
                    .matches("prod\\s+web\\s+web-7d9f-abc\\s+\\d+\\s+pod=web-7d9f-abc ip=10.1.2.3 status=ready");
            JsonNode json = JSON.readTree(cairn("presence", "/presence/prod", "--json").out());
            assertThat(json.get(0).get("value").get("ip").asText()).isEqualTo("10.1.2.3");
            assertThat(cairn("presence", "/config").code()).isEqualTo(2);
            Run sessions = cairn("sessions");
            assertThat(sessions.out()).contains("/presence/prod/web/web-7d9f-abc").contains("30000ms");
            JsonNode sj = JSON.readTree(cairn("sessions", "--json").out());
            assertThat(sj.get(0).get("files").get(0).asText()).isEqualTo("/presence/prod/web/web-7d9f-abc");
            assertThat(sj.get(0).get("remaining_ms").asLong()).isBetween(0L, 30_000L);
            // Someone else's ephemeral file cannot be overwritten.
            assertError(cairn("set", "/presence/prod/web/web-7d9f-abc", "hijack"), "PERMISSION_DENIED");
            s.close();
            assertThat(cairn("presence").out().lines()).hasSize(1);
        }
        assertThat(cairn("set", "--ephemeral", "/presence/a/b/c", "v").code()).isEqualTo(2);
        assertThat(cairn("set", "--hold", "/presence/a/b/c", "v").code()).isEqualTo(2);
        assertThat(cairn("set", "--ephemeral", "--hold", "--ttl", "10ms", "/presence/a/b/c", "v").err()).contains("RANGE");
    }

    @Test
    void endpointsFlagBeatsTheEnvironment() {
        Run r = cairnWithEnv(Map.of("CAIRN_ENDPOINTS", "127.0.0.1:1"), "--endpoints", node.endpoint(), "rev");
        assertThat(r.code()).isZero();
    }
}
