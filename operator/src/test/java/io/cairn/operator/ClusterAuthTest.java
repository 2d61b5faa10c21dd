package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator's side of authorization: the members' flags, the spec's rules, and keeping them in the tree. */
class ClusterAuthTest {
    static CairnCluster cluster(boolean enabled, List<CairnClusterSpec.Rule> rules) {
        CairnCluster c = new CairnCluster();
        c.setMetadata(new ObjectMetaBuilder().withName("config").withNamespace("platform").build());
        CairnClusterSpec spec = new CairnClusterSpec();
        spec.setImage("cairn:test");
        CairnClusterSpec.Auth auth = new CairnClusterSpec.Auth();
        auth.setEnabled(enabled);
        auth.setRules(rules);
        spec.setAuth(auth);
        c.setSpec(spec);
        return c;
    }

    static CairnClusterSpec.Rule rule(String name, String subject, String path, String... rights) {
        CairnClusterSpec.Rule r = new CairnClusterSpec.Rule();
        r.setName(name);
        r.setSubject(subject);
        r.setPath(path);
        r.setRights(List.of(rights));
        return r;
    }

    @Test
    void membersEnforceThePolicyAndVerifyTokensWithTheirOwnServiceAccount() {
        String flags = ClusterAuth.memberFlags(cluster(true, null));
        assertThat(flags).contains("--auth on", "--auth-token-file /etc/cairn-auth/tokens.csv", "--join-token-file /etc/cairn-auth/token",
                "--auth-jwks https://kubernetes.default.svc/openid/v1/jwks",
                "--auth-jwks-token-file /var/run/secrets/kubernetes.io/serviceaccount/token",
                "--auth-jwks-ca /var/run/secrets/kubernetes.io/serviceaccount/ca.crt", "--auth-audience cairn")
                .doesNotContain("--auth-issuer");
        assertThat(ClusterAuth.memberFlags(cluster(false, null))).isEmpty();
        var sts = new Dependents.Members().desired(cluster(true, null), null);
        String start = String.join(" ", sts.getSpec().getTemplate().getSpec().getContainers().get(0).getCommand());
        assertThat(start).contains("--auth on");
        assertThat(sts.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v ->
                assertThat(v.getSecret()).isNotNull().extracting(x -> x.getSecretName()).isEqualTo("config-auth"));
    }

    @Test
    void theSpecsRulesAreCheckedAndKeptBesideTheDefaultPolicy() {
        CairnCluster c = cluster(true, List.of(rule("ops", "group:ops", "/ops/**", "read", "write")));
        Map<String, String> rules = ClusterAuth.rules(c);
        assertThat(rules.keySet()).containsExactly("operator-sidecar-config", "operator-sidecar-presence", "spec-ops");
        assertThat(rules.get("operator-sidecar-config"))
                .isEqualTo("{\"subject\":\"group:system:serviceaccounts\",\"path\":\"/config/{namespace}/**\",\"rights\":[\"read\",\"watch\"]}");
        c.getSpec().getAuth().setDefaultPolicy(false);
        assertThat(ClusterAuth.rules(c).keySet()).containsExactly("spec-ops");
        assertThat(CairnClusterReconciler.invalid(cluster(true, List.of(rule("a", "x", "/a", "fly"))).getSpec()))
                .isEqualTo("auth.rules.a: rights are one or more of read, write, watch, admin; got [fly]");
        assertThat(CairnClusterReconciler.invalid(cluster(true, List.of(rule("a", "x", "/a", "read"), rule("a", "y", "/b", "read")))
                .getSpec())).isEqualTo("auth.rules: the name \"a\" is used twice");
        assertThat(CairnClusterReconciler.invalid(cluster(true, List.of(rule("a", "x", "a", "read"))).getSpec()))
                .isEqualTo("auth.rules.a: path must start with /");
    }

    @Test
    void theOperatorKeepsItsRulesAndLeavesTheUsersAlone() throws Exception {
        Path tokens = Files.createTempFile("cairn-op-tokens", ".csv");
        Files.writeString(tokens, "op-token,cairn-operator,0,\"cairn:admins\"\n");
        try (TestNode node = TestNode.start(StoreConfig.defaults(), null,
                new AuthConfig(true, List.of(), tokens, null, null, null, null, null))) {
            ClusterProbe probe = ClusterProbe.through(x -> ClusterProbe.connectTo(node.endpoint(), null, "op-token"));
            CairnCluster c = cluster(true, List.of(rule("ops", "group:ops", "/ops/**", "read")));
            try (CairnClient admin = ClusterProbe.connectTo(node.endpoint(), null, "op-token")) {
                admin.set("/ctl/acl/rules/mine", "{\"subject\":\"ann\",\"path\":\"/ann/**\",\"rights\":[\"read\"]}", 0);
                admin.set("/ctl/acl/rules/spec-gone", "{\"subject\":\"bob\",\"path\":\"/bob/**\",\"rights\":[\"read\"]}", 0);
                assertThat(probe.applyPolicy(c, ClusterAuth.rules(c))).isEqualTo(4);
                assertThat(probe.applyPolicy(c, ClusterAuth.rules(c))).as("nothing to do the second time").isZero();
                c.getSpec().getAuth().setRules(List.of(rule("ops", "group:ops", "/ops/**", "read", "watch")));
                assertThat(probe.applyPolicy(c, ClusterAuth.rules(c))).isEqualTo(1);
                assertThat(admin.walk("/ctl/acl/rules/*", 0).items()).extracting(v -> v.path().substring("/ctl/acl/rules/".length()))
                        .containsExactly("mine", "operator-sidecar-config", "operator-sidecar-presence", "spec-ops");
                assertThat(admin.get("/ctl/acl/rules/spec-ops").text()).contains("\"rights\":[\"read\",\"watch\"]");
            }
        } finally {
            Files.deleteIfExists(tokens);
        }
    }
}
