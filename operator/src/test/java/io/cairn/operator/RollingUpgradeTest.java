package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.proto.Msg.MemberInfo;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** An image change rolls one pod at a time, only while all are ready, the leader's pod last. */
class RollingUpgradeTest {
    static final String NS = "shop";

    private static Pod pod(int ordinal, String revision) {
        Map<String, String> labels = new HashMap<>(Map.of("app.kubernetes.io/name", "cairn", "app.kubernetes.io/instance", "config"));
        labels.put("controller-revision-hash", revision);
        return new PodBuilder().withNewMetadata().withName("config-" + ordinal).withNamespace(NS).withLabels(labels).endMetadata()
                .withNewStatus().addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
    }

    @Test
    void rollsFollowersFirstAndTheLeaderLast() throws Exception {
        List<MemberInfo> members = new ArrayList<>();
        for (long id = 1; id <= 3; id++) {
            members.add(MemberInfo.newBuilder().setId(id).setLeader(id == 2).build());
        }
        ClusterProbe probe = new ClusterProbe() {
            @Override
            public State probe(CairnCluster c) {
                return new State(members, 10);
            }

            @Override
            public void removeMember(CairnCluster c, long id) {
                throw new AssertionError("no member is removed in an upgrade");
            }
        };
        OperatorHarness harness = new OperatorHarness(probe);
        KubernetesClient k8s = harness.k8s;
        List<String> restarted = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        // The kubelet and the StatefulSet controller: recreate deleted pods at the update revision.
        Thread kubelet = new Thread(() -> {
            while (!stop.get()) {
                try {
                    StatefulSet sts = k8s.apps().statefulSets().inNamespace(NS).withName("config").get();
                    if (sts != null) {
                        if (sts.getStatus() == null) {
                            sts.setStatus(new StatefulSetStatusBuilder().withReplicas(3).withReadyReplicas(3)
                                    .withCurrentRevision("old").withUpdateRevision("new").build());
                            k8s.apps().statefulSets().inNamespace(NS).resource(sts).updateStatus();
                            for (int i = 0; i < 3; i++) {
                                k8s.pods().inNamespace(NS).resource(pod(i, "old")).create();
                            }
                        }
                        for (int i = 0; i < 3; i++) {
                            if (k8s.pods().inNamespace(NS).withName("config-" + i).get() == null) {
                                restarted.add("config-" + i);
                                k8s.pods().inNamespace(NS).resource(pod(i, "new")).create();
                            }
                        }
                    }
                    Thread.sleep(50);
                } catch (Exception e) {
                    restarted.add("error " + e);
                }
            }
        });
        kubelet.start();
        try {
            k8s.resource(OperatorHarness.cluster(NS, 3, "ghcr.io/cairn/node:0.2.0")).create();
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (restarted.size() < 3 && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat(restarted).hasSize(3).doesNotHaveDuplicates();
            // Member 2 leads: its pod, config-1, goes last.
            assertThat(restarted.get(2)).isEqualTo("config-1");
        } finally {
            stop.set(true);
            kubelet.join();
            harness.close();
        }
    }
}
