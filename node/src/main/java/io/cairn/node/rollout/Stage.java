package io.cairn.node.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.node.store.Err;
import io.cairn.node.store.Paths;
import io.cairn.node.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A staged change of an app's config: keys under a prefix given new values for some of its pods
 * first. The values are the pods' own overlays, {@code PREFIX/.pods/POD/KEY}, which the sidecar
 * of pod POD reads above {@code PREFIX/KEY} and no other pod reads; this record, at
 * {@code PREFIX/.pods/.rollout} (no pod is named {@code .rollout}, and no sidecar renders anything
 * under {@code .pods}), says which overlays belong to the stage, so that promoting or abandoning
 * it touches those and leaves a pod's lasting overlays alone.
 */
public record Stage(List<String> pods, List<String> keys) {
    public static final String PODS = ".pods";
    public static final String ORDINALS = ".ordinals";
    private static final String RECORD = ".rollout";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Stage {
        pods = List.copyOf(pods);
        keys = List.copyOf(keys);
        if (pods.isEmpty() || keys.isEmpty()) {
            throw new StoreException(Err.INVALID, "a stage needs at least one pod and one key");
        }
        for (String p : pods) {
            if (p.isEmpty() || p.startsWith(".") || !p.chars().allMatch(c -> Paths.isSegmentChar((char) c))) {
                throw new StoreException(Err.INVALID, "\"" + p + "\" is not a pod name");
            }
        }
        for (String k : keys) {
            if (k.isEmpty() || k.startsWith("/") || k.endsWith("/") || k.startsWith(PODS + "/") || k.startsWith(ORDINALS + "/")) {
                throw new StoreException(Err.INVALID, "\"" + k + "\" is not a key under the prefix (like feature/x)");
            }
        }
    }

    /** Where the record of {@code prefix}'s stage lives. */
    public static String recordPath(String prefix) {
        return base(prefix) + PODS + "/" + RECORD;
    }

    /** The overlay of {@code key} for {@code pod} under {@code prefix}. */
    public static String overlayPath(String prefix, String pod, String key) {
        return base(prefix) + PODS + "/" + pod + "/" + key;
    }

    /** The shared file of {@code key} under {@code prefix}. */
    public static String sharedPath(String prefix, String key) {
        return base(prefix) + key;
    }

    private static String base(String prefix) {
        return prefix.endsWith("/") ? prefix : prefix + "/";
    }

    public byte[] toJson() {
        ObjectNode o = JSON.createObjectNode();
        pods.forEach(o.putArray("pods")::add);
        keys.forEach(o.putArray("keys")::add);
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The record stored at {@code path}; INVALID saying what is wrong with it. */
    public static Stage parse(String path, byte[] json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (Exception e) {
            throw new StoreException(Err.INVALID, path + " is not a stage record (not JSON)");
        }
        if (o == null || !o.path("pods").isArray() || !o.path("keys").isArray()) {
            throw new StoreException(Err.INVALID, path + " is not a stage record (needs \"pods\" and \"keys\")");
        }
        List<String> pods = new ArrayList<>();
        o.get("pods").forEach(p -> pods.add(p.asText()));
        List<String> keys = new ArrayList<>();
        o.get("keys").forEach(k -> keys.add(k.asText()));
        return new Stage(pods, keys);
    }
}
