package io.cairn.operator;

import io.cairn.client.CairnClient;
import io.cairn.net.TlsConfig;
import io.cairn.proto.Msg.MemberInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import io.cairn.client.Versioned;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * How the operator sees a running cluster: its members, leader and revision. A seam: the
 * operator asks the cluster's client Service; a test points it at a cluster of its own.
 */
public interface ClusterProbe {
    /** What a cluster reports of itself. */
    record State(List<MemberInfo> members, long revision) {}

    /** The cluster's state, or null when it does not answer (yet). */
    State probe(CairnCluster cluster);

    /** Removes a member through the cluster's membership (the leader hands over first if it is the one). */
    void removeMember(CairnCluster cluster, long id);

    /**
     * Makes the rules the operator keeps (names starting operator- or spec-) exactly {@code rules}
     * (name to JSON): each written or deleted, compared by revision; rules of other names are
     * left alone. Returns how many it changed.
     */
    default int applyPolicy(CairnCluster cluster, Map<String, String> rules) {
        throw new UnsupportedOperationException("this probe does not write policies");
    }

    /** A client for the operator's calls: short timeouts, TLS when {@code tls} is given. */
    static CairnClient connectTo(String endpoints, TlsConfig tls) {
        return connectTo(endpoints, tls, null);
    }

    /** As {@link #connectTo(String, TlsConfig)}, authenticated with {@code token} when there is one. */
    static CairnClient connectTo(String endpoints, TlsConfig tls, String token) {
        // One connection: a client lives for one call and writes a few rules at most, so a second
        // connection to the leader would cost more than the forward it saves.
        CairnClient.Builder b = CairnClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(10))
                .connectTimeout(Duration.ofSeconds(2)).leaderWrites(false);
        if (tls != null) {
            b.tls(tls);
        }
        if (token != null) {
            b.token(() -> token);
        }
        return b.build();
    }

    /**
     * Asks the cluster's client Service, NAME-client.NAMESPACE.svc:8046; over TLS with the
     * cluster's client Secret when the spec asks for TLS.
     */
    static ClusterProbe viaClientService(KubernetesClient k8s) {
        return through(c -> connectTo(Names.client(c) + "." + c.getMetadata().getNamespace() + ".svc:8046",
                ClusterTls.clientConfig(k8s, c), ClusterAuth.token(k8s, c)));
    }

    /**
     * Asks whatever client {@code connect} opens for a cluster (a fresh one each call, closed
     * after): the members and revision, or null when it does not answer; removals through it.
     */
    static ClusterProbe through(Function<CairnCluster, CairnClient> connect) {
        return new ClusterProbe() {
            @Override
            public State probe(CairnCluster c) {
                try (CairnClient client = connect.apply(c)) {
                    return new State(client.members(), client.rev().rev());
                } catch (RuntimeException e) {
                    return null;
                }
            }

            @Override
            public void removeMember(CairnCluster c, long id) {
                try (CairnClient client = connect.apply(c)) {
                    client.changeMember(io.cairn.proto.Msg.Request.Verb.MEMBER_REMOVE,
                            io.cairn.proto.Msg.MemberInfo.newBuilder().setId(id).build());
                }
            }

            @Override
            public int applyPolicy(CairnCluster c, Map<String, String> rules) {
                try (CairnClient client = connect.apply(c)) {
                    int changed = 0;
                    Map<String, Versioned> present = new java.util.HashMap<>();
                    for (Versioned v : client.walk(ClusterAuth.RULES + "/*", 0).items()) {
                        present.put(v.path().substring(ClusterAuth.RULES.length() + 1), v);
                    }
                    for (Map.Entry<String, String> want : rules.entrySet()) {
                        Versioned have = present.get(want.getKey());
                        if (have == null || !have.text().equals(want.getValue())) {
                            client.set(ClusterAuth.RULES + "/" + want.getKey(), want.getValue(), have == null ? 0 : have.rev());
                            changed++;
                        }
                    }
                    for (Map.Entry<String, Versioned> have : present.entrySet()) {
                        boolean managed = ClusterAuth.MANAGED.stream().anyMatch(have.getKey()::startsWith);
                        if (managed && !rules.containsKey(have.getKey())) {
                            client.del(have.getValue().path(), have.getValue().rev());
                            changed++;
                        }
                    }
                    return changed;
                }
            }
        };
    }
}
