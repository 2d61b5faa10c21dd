package io.cairn.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The repository's docker/*.Dockerfile, read as the tests that hold the operator to them need. */
final class Dockerfiles {
    private Dockerfiles() {
    }

    /** {@code docker/NAME.Dockerfile} with its continued lines joined. */
    static String text(String name) throws IOException {
        return Files.readString(Path.of("..", "docker", name + ".Dockerfile")).replace("\\\n", " ");
    }

    /** The words of its ENTRYPOINT (exec form). */
    static List<String> entrypoint(String name) throws IOException {
        String entrypoint = text(name).lines().filter(l -> l.startsWith("ENTRYPOINT")).findFirst().orElseThrow();
        List<String> words = new ArrayList<>();
        new ObjectMapper().readTree(entrypoint.substring("ENTRYPOINT".length())).forEach(w -> words.add(w.asText()));
        return words;
    }
}
