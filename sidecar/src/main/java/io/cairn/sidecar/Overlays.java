package io.cairn.sidecar;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Per-pod config. Under a watched prefix, {@code .pods/POD/KEY} replaces or adds {@code KEY} for
 * the pod named POD only, {@code .ordinals/N/KEY} for the StatefulSet member whose ordinal is
 * N (the number after the last {@code -} of the pod's name), so the members of one StatefulSet can
 * differ in one key without a prefix each ({@code /config/db/.ordinals/0/role} = {@code primary}
 * beside {@code /config/db/role} = {@code replica}), and {@code .groups/G/KEY} for the pods whose
 * group is G (the label {@code cairn.io/group}, which the webhook passes as $CAIRN_GROUP: a canary
 * group that a staged change reaches first). The pod's own beats its ordinal's, which beats its
 * group's, which beats the shared value. The overlay directories themselves are never rendered,
 * for any pod. An overlay replaces or adds keys; it cannot remove a shared one.
 */
final class Overlays {
    static final String PODS = ".pods/";
    static final String ORDINALS = ".ordinals/";
    static final String GROUPS = ".groups/";

    private Overlays() {}

    /** The keys {@code pod} sees (null: no pod known, so the shared keys only). */
    static SortedMap<String, byte[]> apply(SortedMap<String, byte[]> keys, String pod) {
        return apply(keys, pod, null);
    }

    /** The keys {@code pod} of {@code group} sees (null or empty: none known). */
    static SortedMap<String, byte[]> apply(SortedMap<String, byte[]> keys, String pod, String group) {
        SortedMap<String, byte[]> out = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : keys.entrySet()) {
            if (!isOverlay(e.getKey())) {
                out.put(e.getKey(), e.getValue());
            }
        }
        if (group != null && !group.isEmpty()) {
            overlay(keys, GROUPS + group + "/", out);
        }
        if (pod == null || pod.isEmpty()) {
            return out;
        }
        String ordinal = ordinal(pod);
        if (ordinal != null) {
            overlay(keys, ORDINALS + ordinal + "/", out);
        }
        overlay(keys, PODS + pod + "/", out);
        return out;
    }

    static boolean isOverlay(String key) {
        return key.startsWith(PODS) || key.startsWith(ORDINALS) || key.startsWith(GROUPS);
    }

    /** The StatefulSet ordinal in a pod's name ({@code db-2}: 2), without leading zeros, or null. */
    static String ordinal(String pod) {
        int dash = pod.lastIndexOf('-');
        if (dash < 0 || dash == pod.length() - 1) {
            return null;
        }
        String n = pod.substring(dash + 1);
        if (!n.matches("0|[1-9][0-9]{0,8}")) {
            return null;
        }
        return n;
    }

    private static void overlay(SortedMap<String, byte[]> keys, String base, SortedMap<String, byte[]> out) {
        // Every key under base sorts between base and base followed by the highest character.
        for (Map.Entry<String, byte[]> e : keys.subMap(base, base + Character.MAX_VALUE).entrySet()) {
            String key = e.getKey().substring(base.length());
            if (!key.isEmpty() && !isOverlay(key)) {
                out.put(key, e.getValue());
            }
        }
    }
}
