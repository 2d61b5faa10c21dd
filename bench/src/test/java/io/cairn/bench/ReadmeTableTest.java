package io.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's performance table is the landed run's, as cairn-bench --update-readme makes it: never typed by hand. */
class ReadmeTableTest {
    @Test
    void theReadmesTableIsMadeFromTheLandedRun() throws Exception {
        JsonNode run = new ObjectMapper().readTree(Path.of("..", "bench", "results", "cairn-bench.json").toFile());
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(ReadmeTable.current(readme))
                .as("README.md's table; remake it with bin/cairn-bench --update-readme README.md")
                .isEqualTo(ReadmeTable.render(run));
        assertThat(ReadmeTable.render(run)).contains("| writes, 64 clients (ops/s; p99 ms) |");
    }
}
