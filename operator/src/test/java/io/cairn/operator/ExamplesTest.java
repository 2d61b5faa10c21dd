package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The examples a user applies are valid: the cluster passes the operator's checks, the app gets injected. */
class ExamplesTest {
    @Test
    void exampleClusterIsValid() throws Exception {
        CairnCluster c = Serialization.unmarshal(Files.readString(Path.of("..", "examples", "cairncluster.yaml")), CairnCluster.class);
        assertThat(CairnClusterReconciler.invalid(c.getSpec())).isNull();
        assertThat(c.getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void backupExamplesAreValid() throws Exception {
        CairnCluster c = Serialization.unmarshal(Files.readString(Path.of("..", "examples", "backup", "cairncluster.yaml")), CairnCluster.class);
        assertThat(CairnClusterReconciler.invalid(c.getSpec())).isNull();
        assertThat(c.getSpec().getBackup().getSchedule()).isEqualTo("0 * * * *");
        assertThat(ClusterBackup.claim(c)).isEqualTo("archive-backups");
        CairnCluster r = Serialization.unmarshal(Files.readString(Path.of("..", "examples", "backup", "restored.yaml")), CairnCluster.class);
        assertThat(CairnClusterReconciler.invalid(r.getSpec())).isNull();
        assertThat(r.getSpec().getRestoreFrom().getClaimName()).isEqualTo(ClusterBackup.claim(c));
    }

    @Test
    void tlsExamplesAreValidAndTheSidecarGetsTheClientSecret() throws Exception {
        CairnCluster c = Serialization.unmarshal(Files.readString(Path.of("..", "examples", "tls", "cairncluster.yaml")), CairnCluster.class);
        assertThat(CairnClusterReconciler.invalid(c.getSpec())).isNull();
        assertThat(ClusterTls.enabled(c)).isTrue();
        assertThat(ClusterTls.clientSecret(c)).isEqualTo("secure-client-tls");
        Deployment d = Serialization.unmarshal(Files.readString(Path.of("..", "examples", "tls", "app-deployment.yaml")), Deployment.class);
        JsonNode pod = SidecarInjectorTest.JSON.valueToTree(d.getSpec().getTemplate());
        var patch = new SidecarInjector("sidecar:test").patch(pod, "default");
        assertThat(patch.toString()).contains("secure-client-tls").contains("CAIRN_CACERT").contains("secure-client.default.svc:8046");
    }

    @Test
    void exampleAppGetsTheSidecar() throws Exception {
        Deployment d = Serialization.unmarshal(Files.readString(Path.of("..", "examples", "app-deployment.yaml")), Deployment.class);
        JsonNode pod = SidecarInjectorTest.JSON.valueToTree(d.getSpec().getTemplate());
        var patch = new SidecarInjector("sidecar:test").patch(pod, "default");
        assertThat(patch.toString()).contains("cairn-sidecar").contains("config-client.default.svc:8046").contains("/etc/web")
                .as("the app's pid file volume, for its HUP").contains("{\"name\":\"run\",\"mountPath\":\"/var/run/web\",\"readOnly\":true}");
    }

    @Test
    void authExamplesAreValidAndTheSidecarGetsAToken() throws Exception {
        CairnCluster c = Serialization.unmarshal(Files.readString(Path.of("..", "examples", "auth", "cairncluster.yaml")), CairnCluster.class);
        assertThat(CairnClusterReconciler.invalid(c.getSpec())).isNull();
        assertThat(ClusterAuth.rules(c)).containsKeys("operator-sidecar-config", "operator-sidecar-presence", "spec-ops-read-all-config");
        Deployment d = Serialization.unmarshal(Files.readString(Path.of("..", "examples", "auth", "app-deployment.yaml")), Deployment.class);
        JsonNode pod = SidecarInjectorTest.JSON.valueToTree(d.getSpec().getTemplate());
        var patch = new SidecarInjector("sidecar:test", (name, ns) -> name.equals("guarded") ? "cairn" : null, false).patch(pod, "default");
        assertThat(patch.toString()).contains("serviceAccountToken").contains("CAIRN_TOKEN_FILE").doesNotContain("CAIRN_CERT");
    }
}
