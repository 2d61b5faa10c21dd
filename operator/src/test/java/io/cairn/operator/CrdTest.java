package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.crdv2.generator.CRDGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRD in crds/ is what fabric8's generator makes of the Java types. When the types change,
 * this test fails until the file is regenerated:
 * {@code mvn -pl operator test -Dtest=CrdTest -Dcairn.crds.update=true}.
 */
class CrdTest {
    static final Path COMMITTED = Path.of("..", "crds", "cairnclusters.cairn.io-v1.yml");
    /** The Helm chart installs the same CRD. */
    static final Path IN_CHART = Path.of("..", "helm", "cairn-operator", "crds", "cairnclusters.cairn.io-v1.yml");

    @TempDir
    Path dir;

    @Test
    void committedCrdMatchesTheTypes() throws Exception {
        new CRDGenerator().customResourceClasses(CairnCluster.class).forCRDVersions("v1").inOutputDir(dir.toFile())
                .detailedGenerate();
        String generated = Files.readString(dir.resolve("cairnclusters.cairn.io-v1.yml"));
        if (Boolean.getBoolean("cairn.crds.update")) {
            Files.createDirectories(COMMITTED.getParent());
            Files.writeString(COMMITTED, generated);
            Files.writeString(IN_CHART, generated);
        }
        assertThat(Files.exists(COMMITTED)).as("crds/ has the CRD; generate it with -Dcairn.crds.update=true").isTrue();
        assertThat(Files.readString(COMMITTED)).as("crds/ is stale: regenerate it with "
                + "mvn -pl operator test -Dtest=CrdTest -Dcairn.crds.update=true").isEqualTo(generated);
        assertThat(Files.readString(IN_CHART)).as("the chart's CRD is stale: regenerate with -Dcairn.crds.update=true").isEqualTo(generated);
        assertThat(generated).contains("self % 2 == 1").contains("maximum: 7").contains("storageClassName");
    }
}
