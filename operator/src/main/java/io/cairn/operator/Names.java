package io.cairn.operator;

import java.util.Map;

/** The names and labels of what a CairnCluster owns. */
final class Names {
    private Names() {}

    static String headless(CairnCluster c) {
        return c.getMetadata().getName() + "-peers";
    }

    static String client(CairnCluster c) {
        return c.getMetadata().getName() + "-client";
    }

    static String config(CairnCluster c) {
        return c.getMetadata().getName() + "-config";
    }

    static Map<String, String> selector(CairnCluster c) {
        return Map.of("app.kubernetes.io/name", "cairn", "app.kubernetes.io/instance", c.getMetadata().getName());
    }

    static int initial(CairnCluster c) {
        return c.getStatus() != null && c.getStatus().getInitialReplicas() != null ? c.getStatus().getInitialReplicas()
                : c.getSpec().getReplicas();
    }

    static int target(CairnCluster c) {
        return c.getStatus() != null && c.getStatus().getTargetReplicas() != null ? c.getStatus().getTargetReplicas()
                : initial(c);
    }

    /** The peer list the first members start with: stable DNS names from the headless Service. */
    static String peers(CairnCluster c) {
        StringBuilder sb = new StringBuilder();
        String name = c.getMetadata().getName();
        String ns = c.getMetadata().getNamespace();
        for (int i = 0; i < initial(c); i++) {
            sb.append(sb.length() == 0 ? "" : ",").append(i + 1).append('=').append(name).append('-').append(i)
                    .append('.').append(headless(c)).append('.').append(ns).append(".svc:8047");
        }
        return sb.toString();
    }
}
