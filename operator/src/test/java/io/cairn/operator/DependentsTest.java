package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DependentsTest {
    /**
     * A member pod's command replaces the image's ENTRYPOINT, so it must start the JVM as the image
     * would: the same flags, the archive the image's build dumps, the same jar.
     */
    @Test
    void aMembersJavaIsTheNodeImagesEntrypoint() throws Exception {
        assertThat(String.join(" ", Dockerfiles.entrypoint("node"))).isEqualTo(Dependents.NODE_JAVA);
        assertThat(Dockerfiles.text("node"))
                .contains("-Xshare:dump -XX:SharedClassListFile=/app/cairn-node.classlist -XX:SharedArchiveFile=/app/cairn-node.jsa");
    }
}
