package io.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CAIRN_LOG_FORMAT: lines with an ISO-8601 time and zone, or one JSON object a line; anything else refused. */
class LogFormatTest {
    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts a lone member with {@code format}, reads its stderr until it says it leads, stops it. */
    private List<String> firstLines(String format) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                "io.cairn.node.NodeMain", "--id", "1", "--data-dir", dir.resolve(format).toString(),
                "--client-addr", "127.0.0.1:" + freePort(), "--http-addr", "127.0.0.1:" + freePort());
        pb.environment().put("CAIRN_LOG_FORMAT", format);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        // A member that never says it leads must not hang the test: stopped after a minute, its
        // output ends and the read below returns.
        CompletableFuture.delayedExecutor(60, TimeUnit.SECONDS).execute(p::destroyForcibly);
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            // Bounded: a lone member says it leads within its first few lines.
            while ((line = r.readLine()) != null && lines.size() < 200) {
                lines.add(line);
                if (line.contains("leader is member 1")) {
                    break;
                }
            }
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        return lines;
    }

    @Test
    void textLinesCarryAnIsoTimeWithItsZone() throws Exception {
        List<String> lines = firstLines("text");
        assertThat(lines).anyMatch(l -> l.contains("leader is member 1"));
        assertThat(lines).filteredOn(l -> l.contains("leader is member 1")).allMatch(
                l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  Replica: member 1: .*"));
    }

    @Test
    void jsonIsOneObjectALine() throws Exception {
        List<String> lines = firstLines("json");
        ObjectMapper json = new ObjectMapper();
        JsonNode leader = null;
        for (String l : lines) {
            JsonNode n = json.readTree(l);
            assertThat(n.has("level")).as(l).isTrue();
            if (n.path("formattedMessage").asText().contains("leader is member 1")) {
                leader = n;
            }
        }
        assertThat(leader).isNotNull();
        assertThat(leader.get("level").asText()).isEqualTo("INFO");
        assertThat(leader.get("loggerName").asText()).endsWith("Replica");
        assertThat(leader.get("timestamp").asLong()).isPositive();
    }

    @Test
    void anyOtherFormatIsOneLineAndExitTwo() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.cairn.node.NodeMain",
                "--id", "1", "--data-dir", dir.resolve("x").toString());
        pb.environment().put("CAIRN_LOG_FORMAT", "xml");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        CompletableFuture.delayedExecutor(60, TimeUnit.SECONDS).execute(p::destroyForcibly);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(out).contains("cairn-node: CAIRN_LOG_FORMAT must be text or json, got \"xml\"");
    }
}
