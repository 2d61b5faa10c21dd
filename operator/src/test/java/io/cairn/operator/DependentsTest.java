package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DependentsTest {
    /**
     * A member pod's command replaces the image's ENTRYPOINT, so it must start the JVM as the image
     * would: the same flags, the archive the image's build dumps, the same jar.
     */
    @Test
    void aMembersJavaIsTheNodeImagesEntrypoint() throws Exception {
        String dockerfile = Files.readString(Path.of("..", "docker", "node.Dockerfile")).replace("\\\n", " ");
        String entrypoint = dockerfile.lines().filter(l -> l.startsWith("ENTRYPOINT")).findFirst().orElseThrow();
        List<String> words = new ArrayList<>();
        for (JsonNode w : new ObjectMapper().readTree(entrypoint.substring("ENTRYPOINT".length()))) {
            words.add(w.asText());
        }
        assertThat(String.join(" ", words)).isEqualTo(Dependents.NODE_JAVA);
        assertThat(dockerfile).contains("-Xshare:dump -XX:SharedClassListFile=/app/cairn-node.classlist -XX:SharedArchiveFile=/app/cairn-node.jsa");
    }
}
