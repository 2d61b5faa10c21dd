package io.cairn.operator;

import static io.cairn.operator.CairnClusterReconcilerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A CairnCluster with spec.auth: the operator makes its admin token, the members are started to
 * enforce the policy with it, and the operator writes the default policy and the spec's rules
 * into the running cluster (a real member that enforces its policy, fed the token as the mounted
 * Secret would feed it).
 */
class ReconcilerAuthTest {
    @Test
    void theOperatorIssuesItsTokenAndKeepsThePolicy() throws Exception {
        Path tokens = Files.createTempFile("cairn-reconciler-tokens", ".csv");
        Files.writeString(tokens, "# filled from the Secret\n");
        try (TestNode member = TestNode.start(StoreConfig.defaults(), null, new AuthConfig(true, List.of(), tokens, null, null, null, null, null))) {
            OperatorHarness[] harness = new OperatorHarness[1];
            ClusterProbe probe = ClusterProbe.through(c -> ClusterProbe.connectTo(member.endpoint(), null, ClusterAuth.token(harness[0].k8s, c)));
            harness[0] = new OperatorHarness(probe);
            try (OperatorHarness h = harness[0]) {
                CairnCluster c = OperatorHarness.cluster("shop", 1, "ghcr.io/cairn/node:0.1.0");
                CairnClusterSpec.Auth auth = new CairnClusterSpec.Auth();
                auth.setEnabled(true);
                auth.setRules(List.of(ClusterAuthTest.rule("ops", "group:ops", "/ops/**", "read", "write")));
                c.getSpec().setAuth(auth);
                h.k8s.resource(c).create();
                Secret secret = await("the auth Secret", () -> h.k8s.secrets().inNamespace("shop").withName("config-auth").get());
                String csv = new String(Base64.getDecoder().decode(secret.getData().get("tokens.csv")), StandardCharsets.UTF_8);
                assertThat(csv).matches("[A-Za-z0-9_-]{43},cairn-operator,0,\"cairn:admins\"\n");
                assertThat(secret.getMetadata().getOwnerReferences()).extracting(o -> o.getName()).containsExactly("config");
                // What the kubelet would do: the Secret's file appears in the member's mount.
                Files.writeString(tokens, csv);
                var sts = await("statefulset", () -> h.k8s.apps().statefulSets().inNamespace("shop").withName("config").get());
                assertThat(String.join(" ", sts.getSpec().getTemplate().getSpec().getContainers().get(0).getCommand())).contains("--auth on");
                CairnCluster applied = await("PolicyApplied", () -> {
                    CairnCluster now = h.k8s.resources(CairnCluster.class).inNamespace("shop").withName("config").get();
                    return now.getStatus() != null && now.getStatus().getConditions().stream()
                            .anyMatch(x -> x.getType().equals("PolicyApplied") && x.getStatus().equals("True")) ? now : null;
                });
                assertThat(applied.getStatus().getConditions()).anySatisfy(x -> assertThat(x.getMessage())
                        .isEqualTo("3 rules kept under /ctl/acl/rules"));
                String token = csv.substring(0, csv.indexOf(','));
                try (CairnClient op = ClusterProbe.connectTo(member.endpoint(), null, token)) {
                    assertThat(op.walk("/ctl/acl/rules/*", 0).items()).extracting(v -> v.path())
                            .containsExactly("/ctl/acl/rules/operator-sidecar-config", "/ctl/acl/rules/operator-sidecar-presence",
                                    "/ctl/acl/rules/spec-ops");
                    assertThat(op.whoami()).contains("\"name\":\"cairn-operator\"").contains("cairn:admins");
                }
                // The same Secret on the next reconcile: the token is made once.
                assertThat(h.k8s.secrets().inNamespace("shop").withName("config-auth").get().getData()).isEqualTo(secret.getData());
            }
        } finally {
            Files.deleteIfExists(tokens);
        }
    }
}
