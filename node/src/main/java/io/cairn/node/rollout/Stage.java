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
 * first, named one by one or as a group. The values are overlays the sidecar reads above
 * {@code PREFIX/KEY}: {@code PREFIX/.pods/POD/KEY}, which only pod POD reads, and
 * {@code PREFIX/.groups/GROUP/KEY}, which only the pods labelled {@code cairn.io/group=GROUP}
 * read. This record, at {@code PREFIX/.pods/.rollout} (no pod is named {@code .rollout}, and no
 * sidecar renders anything under {@code .pods}), says which overlays belong to the stage, so that
 * promoting or abandoning it touches those and leaves lasting overlays alone.
 */
public record Stage(List<String> pods, List<String> groups, List<String> keys) {
    public static final String PODS = ".pods";
    public static final String ORDINALS = ".ordinals";
    public static final String GROUPS = ".groups";
    private static final String RECORD = ".rollout";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Stage {
        pods = List.copyOf(pods);
        groups = List.copyOf(groups);
        keys = List.copyOf(keys);
        if (pods.isEmpty() && groups.isEmpty() || keys.isEmpty()) {
            throw new StoreException(Err.INVALID, "a stage needs at least one pod or group, and one key");
        }
        for (String p : pods) {
            checkSegment(p, "pod name");
        }
        for (String g : groups) {
            checkSegment(g, "group name");
        }
        for (String k : keys) {
            if (k.isEmpty() || k.startsWith("/") || k.endsWith("/") || k.contains("//") || k.startsWith(PODS + "/")
                    || k.startsWith(ORDINALS + "/") || k.startsWith(GROUPS + "/")) {
                throw new StoreException(Err.INVALID, "\"" + k + "\" is not a key under the prefix (like feature/x)");
            }
        }
    }

    private static void checkSegment(String name, String what) {
        if (name.isEmpty() || name.startsWith(".") || !name.chars().allMatch(c -> Paths.isSegmentChar((char) c))) {
            throw new StoreException(Err.INVALID, "\"" + name + "\" is not a " + what);
        }
    }

    /** Who sees the staged values, as the CLI and the rollout status say it: "web-1,web-2, group canary". */
    public String who() {
        String p = String.join(",", pods);
        String g = groups.isEmpty() ? "" : "group " + String.join(",", groups);
        return p.isEmpty() ? g : g.isEmpty() ? p : p + ", " + g;
    }

    /** One staged value's file: {@code key}'s overlay at {@code path}. */
    public record Overlay(String key, String path) {}

    /** Every overlay of the stage: each key for each pod and each group. */
    public List<Overlay> overlays(String prefix) {
        List<Overlay> out = new ArrayList<>();
        for (String key : keys) {
            pods.forEach(p -> out.add(new Overlay(key, overlayPath(prefix, p, key))));
            groups.forEach(g -> out.add(new Overlay(key, groupOverlayPath(prefix, g, key))));
        }
        return out;
    }

    /** Where the record of {@code prefix}'s stage lives. */
    public static String recordPath(String prefix) {
        return base(prefix) + PODS + "/" + RECORD;
    }

    /** The overlay of {@code key} for {@code pod} under {@code prefix}. */
    public static String overlayPath(String prefix, String pod, String key) {
        return base(prefix) + PODS + "/" + pod + "/" + key;
    }

    /** The overlay of {@code key} for the pods of {@code group} under {@code prefix}. */
    public static String groupOverlayPath(String prefix, String group, String key) {
        return base(prefix) + GROUPS + "/" + group + "/" + key;
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
        groups.forEach(o.putArray("groups")::add);
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
            throw new StoreException(Err.INVALID, path + " is not a stage record (needs \"pods\", \"groups\" and \"keys\")");
        }
        List<String> pods = new ArrayList<>();
        o.get("pods").forEach(p -> pods.add(p.asText()));
        List<String> groups = new ArrayList<>();
        o.path("groups").forEach(g -> groups.add(g.asText()));
        List<String> keys = new ArrayList<>();
        o.get("keys").forEach(k -> keys.add(k.asText()));
        return new Stage(pods, groups, keys);
    }
}
