package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.net.TlsConfig;
import io.cairn.node.CairnNode;
import io.cairn.node.NodeConfig;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TempDirs;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * spec.tls: the operator makes the cluster's CA, member and client Secrets, mounts them into
 * the members, and reads the running cluster over TLS with its client certificate. Real members
 * on loopback, started with the Secret the operator wrote, stand in for the pods.
 */
class ClusterTlsTest {
    static final String NS = "shop";
    OperatorHarness harness;
    KubernetesClient k8s;
    final List<CairnNode> members = new ArrayList<>();
    volatile String endpoints;

    @BeforeEach
    void start() {
        // The operator's own probe, pointed at the members on loopback once they run.
        ClusterProbe real = ClusterProbe.through(c -> {
            if (endpoints == null) {
                throw new IllegalStateException("no members yet");
            }
            return ClusterProbe.connectTo(endpoints, ClusterTls.clientConfig(k8s, c));
        });
        ClusterProbe overTls = new ClusterProbe() {
            @Override
            public State probe(CairnCluster c) {
                return real.probe(c);
            }

            @Override
            public void removeMember(CairnCluster c, long id) {
                throw new UnsupportedOperationException("not shrunk here");
            }
        };
        harness = new OperatorHarness(overTls);
        k8s = harness.k8s;
    }

    @AfterEach
    void stop() {
        members.forEach(CairnNode::close);
        harness.close();
    }

    private static CairnCluster tlsCluster() {
        CairnCluster c = OperatorHarness.cluster(NS, 3, "ghcr.io/cairn/node:0.1.0");
        CairnClusterSpec.Tls tls = new CairnClusterSpec.Tls();
        tls.setEnabled(true);
        c.getSpec().setTls(tls);
        return c;
    }

    private static String pem(Secret s, String key) {
        return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.US_ASCII);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void theOperatorMakesTheSecretsMountsThemAndReadsTheClusterOverTls() throws Exception {
        k8s.resource(tlsCluster()).create();
        Secret member = CairnClusterReconcilerTest.await("member secret", () -> k8s.secrets().inNamespace(NS).withName("config-member-tls").get());
        Secret client = CairnClusterReconcilerTest.await("client secret", () -> k8s.secrets().inNamespace(NS).withName("config-client-tls").get());
        Secret ca = CairnClusterReconcilerTest.await("ca secret", () -> k8s.secrets().inNamespace(NS).withName("config-ca").get());
        assertThat(member.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(member.getData()).containsKeys("tls.crt", "tls.key", "ca.crt").doesNotContainKey("ca.key");
        assertThat(ca.getData()).containsKeys("ca.crt", "ca.key");
        assertThat(member.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getKind()).isEqualTo("CairnCluster"));
        X509Certificate cert = Certificates.certificates(pem(member, "tls.crt")).get(0);
        List<String> sans = cert.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).collect(Collectors.toList());
        assertThat(sans).contains("*.config-peers.shop.svc", "config-client.shop.svc", "localhost", "127.0.0.1");
        assertThat(cert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(Certificates.certificates(pem(client, "tls.crt")).get(0).getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");

        StatefulSet sts = CairnClusterReconcilerTest.await("statefulset", () -> k8s.apps().statefulSets().inNamespace(NS).withName("config").get());
        Container node = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(node.getCommand().get(2)).contains("--tls-cert /etc/cairn-tls/tls.crt --tls-key /etc/cairn-tls/tls.key"
                + " --tls-ca /etc/cairn-tls/ca.crt --client-cert-auth");
        assertThat(node.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
        assertThat(node.getLivenessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
        assertThat(node.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/cairn-tls"));
        assertThat(sts.getSpec().getTemplate().getSpec().getVolumes())
                .anySatisfy(v -> assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName()).isEqualTo("config-member-tls"));

        // The pods: three members with the Secret's files, as the StatefulSet mounts them.
        Path dir = TempDirs.create("cairn-member-tls");
        for (String key : List.of("tls.crt", "tls.key", "ca.crt")) {
            Files.writeString(dir.resolve(key), pem(member, key));
        }
        TlsConfig files = TlsConfig.files(dir.resolve("tls.crt"), dir.resolve("tls.key"), dir.resolve("ca.crt"));
        Map<Long, InetSocketAddress> peers = new TreeMap<>();
        for (long i = 1; i <= 3; i++) {
            peers.put(i, new InetSocketAddress("localhost", freePort()));
        }
        StringBuilder list = new StringBuilder();
        for (long i = 1; i <= 3; i++) {
            CairnNode n = CairnNode.start(new NodeConfig(i, TempDirs.create("cairn-tls-pod"),
                    new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0), peers.get(i), peers,
                    StoreConfig.defaults(), Replica.Options.defaults(), null, new NodeConfig.Tls(files, true)));
            members.add(n);
            list.append(list.length() == 0 ? "" : ",").append("127.0.0.1:").append(n.clientAddress().getPort());
        }
        endpoints = list.toString();
        // The operator's status comes from the cluster, read with its client certificate.
        CairnCluster ready = CairnClusterReconcilerTest.await("status over TLS", () -> {
            CairnCluster c = k8s.resources(CairnCluster.class).inNamespace(NS).withName("config").get();
            return c != null && c.getStatus() != null && c.getStatus().getLeader() != null && c.getStatus().getMembers().size() == 3
                    ? c : null;
        });
        assertThat(ready.getStatus().getConditions()).anySatisfy(x -> {
            assertThat(x.getType()).isEqualTo("Available");
            assertThat(x.getStatus()).isEqualTo("True");
        });
        // Without the client certificate, the members refuse.
        TlsConfig anonymous = TlsConfig.pem(null, null, pem(client, "ca.crt").getBytes(StandardCharsets.US_ASCII), "test");
        try (CairnClient c = ClusterProbe.connectTo(endpoints, anonymous)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(c::rev).hasMessageContaining("certificate");
        }
    }

    @Test
    void leavesAreRenewedBeforeTheyEndAndTheCaRollsOverKeepingTheOldOneTrusted() throws Exception {
        CairnCluster c = tlsCluster();
        c.getMetadata().setUid("uid-1");
        c.setApiVersion("cairn.io/v1alpha1");
        Instant day0 = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(ClusterTls.ensure(k8s, c, day0)).hasSize(3);
        assertThat(ClusterTls.ensure(k8s, c, day0.plus(Duration.ofDays(300)))).as("nothing due yet").isEmpty();
        Secret before = k8s.secrets().inNamespace(NS).withName("config-member-tls").get();
        assertThat(ClusterTls.ensure(k8s, c, day0.plus(Duration.ofDays(340))))
                .containsExactlyInAnyOrder("config-member-tls (the certificate expires 2027-01-01T00:00:00Z)",
                        "config-client-tls (the certificate expires 2027-01-01T00:00:00Z)");
        Secret after = k8s.secrets().inNamespace(NS).withName("config-member-tls").get();
        assertThat(pem(after, "tls.crt")).isNotEqualTo(pem(before, "tls.crt"));
        assertThat(pem(after, "ca.crt")).isEqualTo(pem(before, "ca.crt"));
        // Near the CA's end: a new CA signs the new leaves and the old CA stays in the bundle.
        Instant late = day0.plus(Duration.ofDays(3650 - 300));
        assertThat(ClusterTls.ensure(k8s, c, late)).anyMatch(s -> s.startsWith("config-ca (CA rolled over)"));
        Secret rolled = k8s.secrets().inNamespace(NS).withName("config-member-tls").get();
        List<X509Certificate> bundle = Certificates.certificates(pem(rolled, "ca.crt"));
        assertThat(bundle).hasSize(2);
        assertThat(bundle.get(1)).isEqualTo(Certificates.certificates(pem(before, "ca.crt")).get(0));
        Certificates.certificates(pem(rolled, "tls.crt")).get(0).verify(bundle.get(0).getPublicKey());
    }

    @Test
    void secretsTheSpecNamesMustExistAndGoTogether() throws Exception {
        CairnCluster half = tlsCluster();
        half.getSpec().getTls().setSecretName("mine");
        k8s.resource(half).create();
        CairnCluster invalid = CairnClusterReconcilerTest.await("invalid", () -> {
            CairnCluster c = k8s.resources(CairnCluster.class).inNamespace(NS).withName("config").get();
            return c != null && c.getStatus() != null && "Invalid".equals(c.getStatus().getPhase()) ? c : null;
        });
        assertThat(invalid.getStatus().getConditions()).anySatisfy(x -> assertThat(x.getMessage()).contains("go together"));
        OperatorHarness.editCluster(k8s, NS, "config", both -> {
            both.getSpec().getTls().setClientSecretName("mine-client");
            return both;
        });
        CairnCluster missing = CairnClusterReconcilerTest.await("degraded", () -> {
            CairnCluster c = k8s.resources(CairnCluster.class).inNamespace(NS).withName("config").get();
            return c != null && c.getStatus() != null && c.getStatus().getConditions().stream()
                    .anyMatch(x -> "TlsNotReady".equals(x.getReason())) ? c : null;
        });
        assertThat(missing.getStatus().getConditions()).anySatisfy(x -> assertThat(x.getMessage()).contains("Secret shop/mine"));
        assertThat(k8s.apps().statefulSets().inNamespace(NS).withName("config").get()).as("no members without their Secret").isNull();
        assertThat(k8s.secrets().inNamespace(NS).withName("config-ca").get()).as("the user's Secrets: nothing made").isNull();
    }
}
