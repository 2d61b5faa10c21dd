package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.CairnNode;
import io.cairn.node.NodeConfig;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TempDirs;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request.Verb;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Scaling 3 → 5 → 3 goes through membership one member at a time, in the right order: a real
 * in-process Cairn cluster stands in for the pods, started and stopped as the StatefulSet's
 * replicas change (the test is the kubelet), new members joining as the pods would.
 */
class ScalingTest {
    static final String NS = "shop";
    final List<String> events = new CopyOnWriteArrayList<>();
    final TreeMap<Long, CairnNode> pods = new TreeMap<>();

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private synchronized String endpoints() {
        StringBuilder sb = new StringBuilder();
        pods.values().forEach(n -> sb.append(sb.length() == 0 ? "" : ",").append("127.0.0.1:").append(n.clientAddress().getPort()));
        return sb.toString();
    }

    /** The kubelet's part: run as many members as the StatefulSet asks for. */
    private synchronized void follow(int replicas) throws Exception {
        while (pods.size() < replicas) {
            long id = pods.lastKey() + 1;
            int peer = freePort();
            CairnNode joined = CairnNode.start(new NodeConfig(id, TempDirs.create("cairn-scale"),
                    new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                    new InetSocketAddress("127.0.0.1", peer), Map.of(), StoreConfig.defaults(),
                    Replica.Options.defaults(), pods.firstEntry().getValue().clientAddress()));
            pods.put(id, joined);
            events.add("pod " + id + " started");
        }
        while (pods.size() > replicas) {
            var last = pods.pollLastEntry();
            last.getValue().close();
            events.add("pod " + last.getKey() + " stopped");
        }
    }

    @Test
    void threeToFiveToThreeThroughMembership() throws Exception {
        Map<Long, InetSocketAddress> peers = new TreeMap<>();
        for (long i = 1; i <= 3; i++) {
            peers.put(i, new InetSocketAddress("127.0.0.1", freePort()));
        }
        for (long i = 1; i <= 3; i++) {
            pods.put(i, CairnNode.start(new NodeConfig(i, TempDirs.create("cairn-scale"),
                    new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0), peers.get(i), peers,
                    StoreConfig.defaults(), Replica.Options.defaults(), null)));
        }
        for (CairnNode n : pods.values()) {
            assertThat(n.awaitReady(Duration.ofSeconds(15))).isTrue();
        }
        ClusterProbe probe = new ClusterProbe() {
            @Override
            public State probe(CairnCluster c) {
                try (CairnClient client = CairnClient.builder().endpoints(endpoints()).requestTimeout(Duration.ofSeconds(3)).build()) {
                    return new State(client.members(), client.rev().rev());
                } catch (RuntimeException e) {
                    return null;
                }
            }

            @Override
            public void removeMember(CairnCluster c, long id) {
                events.add("remove member " + id);
                try (CairnClient client = CairnClient.builder().endpoints(endpoints()).requestTimeout(Duration.ofSeconds(10)).build()) {
                    client.changeMember(Verb.MEMBER_REMOVE, MemberInfo.newBuilder().setId(id).build());
                }
            }
        };
        OperatorHarness harness = new OperatorHarness(probe);
        KubernetesClient k8s = harness.k8s;
        AtomicBoolean stop = new AtomicBoolean();
        Thread kubelet = new Thread(() -> {
            while (!stop.get()) {
                try {
                    StatefulSet sts = k8s.apps().statefulSets().inNamespace(NS).withName("config").get();
                    if (sts != null) {
                        int want = sts.getSpec().getReplicas();
                        follow(want);
                        // As the StatefulSet controller would: report the pods it now runs.
                        if (sts.getStatus() == null || sts.getStatus().getReplicas() == null || sts.getStatus().getReplicas() != want) {
                            sts.setStatus(new io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder()
                                    .withReplicas(want).withReadyReplicas(want).build());
                            k8s.apps().statefulSets().inNamespace(NS).resource(sts).updateStatus();
                        }
                    }
                    Thread.sleep(100);
                } catch (Exception e) {
                    events.add("kubelet error " + e);
                }
            }
        });
        kubelet.start();
        try {
            k8s.resource(OperatorHarness.cluster(NS, 3, "ghcr.io/cairn/node:0.1.0")).create();
            awaitPhase(k8s, "Running", 3);

            setReplicas(k8s, 5);
            awaitPhase(k8s, "Running", 5);
            List<String> up = new ArrayList<>(events);
            assertThat(up).containsSubsequence("pod 4 started", "pod 5 started");
            assertThat(votersOf(probe)).isEqualTo(5);

            setReplicas(k8s, 3);
            awaitPhase(k8s, "Running", 3);
            assertThat(events).containsSubsequence("remove member 5", "pod 5 stopped", "remove member 4", "pod 4 stopped");
            assertThat(votersOf(probe)).isEqualTo(3);
            assertThat(events).noneMatch(e -> e.startsWith("kubelet error"));
        } finally {
            stop.set(true);
            kubelet.join();
            harness.close();
            synchronized (this) {
                pods.values().forEach(CairnNode::close);
            }
        }
    }

    private static long votersOf(ClusterProbe probe) {
        return probe.probe(null).members().stream().filter(m -> !m.getLearner()).count();
    }

    private static void setReplicas(KubernetesClient k8s, int n) {
        OperatorHarness.editCluster(k8s, NS, "config", current -> {
            current.getSpec().setReplicas(n);
            return current;
        });
    }

    private static void awaitPhase(KubernetesClient k8s, String phase, int members) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        CairnCluster c = null;
        while (System.nanoTime() < end) {
            c = k8s.resources(CairnCluster.class).inNamespace(NS).withName("config").get();
            if (c != null && c.getStatus() != null && phase.equals(c.getStatus().getPhase())
                    && c.getStatus().getMembers().size() == members && c.getSpec().getReplicas() == members) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("never reached " + phase + " with " + members + " members; last status "
                + (c == null || c.getStatus() == null ? null : c.getStatus().getPhase() + " " + c.getStatus().getMembers().size()));
    }
}
