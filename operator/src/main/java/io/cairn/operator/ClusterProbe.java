package io.cairn.operator;

import io.cairn.client.CairnClient;
import io.cairn.net.TlsConfig;
import io.cairn.proto.Msg.MemberInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
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

    /** A client for the operator's calls: short timeouts, TLS when {@code tls} is given. */
    static CairnClient connectTo(String endpoints, TlsConfig tls) {
        CairnClient.Builder b = CairnClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(10))
                .connectTimeout(Duration.ofSeconds(2));
        return (tls == null ? b : b.tls(tls)).build();
    }

    /**
     * Asks the cluster's client Service, NAME-client.NAMESPACE.svc:8046; over TLS with the
     * cluster's client Secret when the spec asks for TLS.
     */
    static ClusterProbe viaClientService(KubernetesClient k8s) {
        return through(c -> connectTo(Names.client(c) + "." + c.getMetadata().getNamespace() + ".svc:8046",
                ClusterTls.clientConfig(k8s, c)));
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
        };
    }
}
