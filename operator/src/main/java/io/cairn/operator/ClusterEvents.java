package io.cairn.operator;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Kubernetes Events on a CairnCluster, for `kubectl describe`: what the operator did, and why it refused. */
final class ClusterEvents {
    private static final Logger log = LoggerFactory.getLogger(ClusterEvents.class);

    private ClusterEvents() {}

    static void normal(KubernetesClient k8s, CairnCluster c, String reason, String message) {
        record(k8s, c, "Normal", reason, message);
    }

    static void warning(KubernetesClient k8s, CairnCluster c, String reason, String message) {
        record(k8s, c, "Warning", reason, message);
    }

    private static void record(KubernetesClient k8s, CairnCluster c, String type, String reason, String message) {
        String now = Instant.now().toString();
        try {
            k8s.v1().events().inNamespace(c.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata().withGenerateName(c.getMetadata().getName() + "-").withNamespace(c.getMetadata().getNamespace())
                    .endMetadata()
                    .withNewInvolvedObject().withApiVersion(c.getApiVersion()).withKind(c.getKind()).withName(c.getMetadata().getName())
                    .withNamespace(c.getMetadata().getNamespace()).withUid(c.getMetadata().getUid()).endInvolvedObject()
                    .withType(type).withReason(reason).withMessage(message).withFirstTimestamp(now).withLastTimestamp(now)
                    .withCount(1).withNewSource().withComponent("cairn-operator").endSource().build()).create();
        } catch (RuntimeException e) {
            log.debug("could not record event {} on {}: {}", reason.toLowerCase(Locale.ROOT), c.getMetadata().getName(), e.getMessage());
        }
    }
}
