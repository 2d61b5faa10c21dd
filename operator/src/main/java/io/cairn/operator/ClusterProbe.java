package io.cairn.operator;

import io.cairn.client.CairnClient;
import io.cairn.proto.Msg.MemberInfo;
import java.time.Duration;
import java.util.List;

/**
 * How the operator sees a running cluster: its members, leader and revision. A seam: the
 * operator asks the cluster's client Service; a test points it at a cluster of its own.
 */
public interface ClusterProbe {
    /** What a cluster reports of itself. */
    record State(List<MemberInfo> members, long revision) {}

    /** The cluster's state, or null when it does not answer (yet). */
    State probe(CairnCluster cluster);

    /** Asks the cluster's client Service, NAME-client.NAMESPACE.svc:8046. */
    static ClusterProbe viaClientService() {
        return c -> {
            String endpoint = Names.client(c) + "." + c.getMetadata().getNamespace() + ".svc:8046";
            try (CairnClient client = CairnClient.builder().endpoints(endpoint).requestTimeout(Duration.ofSeconds(3))
                    .connectTimeout(Duration.ofSeconds(2)).build()) {
                return new State(client.members(), client.rev().rev());
            } catch (RuntimeException e) {
                return null;
            }
        };
    }
}
