package io.cairn.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.client.CairnClient;
import io.cairn.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar's logging, set up in code rather than by logback.xml, keeps the shared formats:
 * CAIRN_LOG_FORMAT text (ISO-8601 time with zone, level, logger, message) or json, and
 * CAIRN_LOG_LEVEL.
 */
class SidecarLoggingTest {
    @TempDir
    Path dir;

    private List<String> initLines(TestNode node, String format, String level) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "io.cairn.sidecar.SidecarMain", "--mode", "init", "--endpoints", node.endpoint(), "--watch", "/config/web",
                "--out", dir.resolve(format + level).toString());
        pb.environment().put("CAIRN_LOG_FORMAT", format);
        pb.environment().put("CAIRN_LOG_LEVEL", level);
        Path log = dir.resolve(format + level + ".log");
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        } finally {
            p.destroyForcibly();
        }
        return Files.readAllLines(log, StandardCharsets.UTF_8);
    }

    @Test
    void textAndJsonLinesAtTheLevelAsked() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/web/greeting", "hello", -1);
            List<String> text = initLines(node, "text", "INFO");
            assertThat(text).anyMatch(l -> l.matches(
                    "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  Sidecar: published the config of rev \\d+ .*"));
            List<String> json = initLines(node, "json", "INFO");
            JsonNode published = null;
            for (String l : json) {
                if (l.startsWith("{")) {
                    JsonNode o = new ObjectMapper().readTree(l);
                    if (o.path("formattedMessage").asText().startsWith("published the config")) {
                        published = o;
                    }
                }
            }
            assertThat(published).as("a JSON line for the publication in %s", json).isNotNull();
            assertThat(published.path("level").asText()).isEqualTo("INFO");
            assertThat(published.path("loggerName").asText()).isEqualTo("io.cairn.sidecar.Sidecar");
            assertThat(published.path("timestamp").asLong()).isPositive();
            assertThat(initLines(node, "text", "WARN")).noneMatch(l -> l.contains("published the config"));
        }
    }

    @Test
    void theTextLineIsTheSharedPatternsWithTheStackTraceAfterIt() {
        ch.qos.logback.classic.LoggerContext context = new ch.qos.logback.classic.LoggerContext();
        SidecarLogging.TextLine layout = new SidecarLogging.TextLine();
        layout.setContext(context);
        layout.start();
        ch.qos.logback.classic.Logger logger = context.getLogger("io.cairn.sidecar.Sidecar");
        String info = layout.doLayout(new ch.qos.logback.classic.spi.LoggingEvent("fqcn", logger,
                ch.qos.logback.classic.Level.INFO, "published rev {}", null, new Object[] {7}));
        assertThat(info).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  Sidecar: published rev 7"
                + System.lineSeparator());
        String error = layout.doLayout(new ch.qos.logback.classic.spi.LoggingEvent("fqcn", logger,
                ch.qos.logback.classic.Level.ERROR, "render failed", new IllegalStateException("no key /config/web/x"), null));
        assertThat(error.lines().toList().get(0)).endsWith(" ERROR Sidecar: render failed");
        assertThat(error.lines().toList().get(1)).isEqualTo("java.lang.IllegalStateException: no key /config/web/x");
        assertThat(error.lines().toList().get(2)).contains("at io.cairn.sidecar.SidecarLoggingTest.");
    }
}
