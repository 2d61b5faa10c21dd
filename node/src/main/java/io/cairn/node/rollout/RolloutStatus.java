package io.cairn.node.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Which pods run the config under a prefix, from one consistent read of the prefix and of the
 * presence files the sidecars keep ({@code /presence/NAMESPACE/APP/POD}: the revision each last
 * published, its status and problem, and the prefixes it watches).
 *
 * <p>A pod takes part when it watches the prefix, something under it, or something above it. Its
 * target is the revision asked for, else the newest revision of a file under the prefix that the
 * pod sees: the shared files and its own overlays ({@code .pods/POD/}, {@code .ordinals/N/},
 * {@code .groups/GROUP/} of the group its presence names),
 * so a pod of a stage waits for the staged values and the others do not. A pod has
 * <em>applied</em> the change once it published a revision at or after its target, has
 * <em>failed</em> while its sidecar reports that its last publication went wrong (status
 * {@code degraded}), and <em>lags</em> otherwise. A deletion leaves no file to date it: after
 * one, ask for the deletion's revision.
 *
 * <p>Pure: both the member's HTTP gateway (from its tree) and the CLI (from two walks at one
 * revision) compute the same report from the same files.
 */
public final class RolloutStatus {
    public static final String PRESENCE = "/presence";
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum State { APPLIED, LAGGING, FAILED }

    /** One pod's part in the rollout. */
    public record Pod(String namespace, String app, String pod, String group, long rev, long target, State state, String status,
                      String problem, boolean staged) {
        public String name() {
            return namespace + "/" + app + "/" + pod;
        }
    }

    /** The report: read at {@code rev}, with the stage if one is open. */
    public record Report(String prefix, long rev, long wanted, Stage stage, List<Pod> pods) {
        public long count(State s) {
            return pods.stream().filter(p -> p.state() == s).count();
        }

        /** Every pod applied (and at least one takes part). */
        public boolean done() {
            return !pods.isEmpty() && count(State.APPLIED) == pods.size();
        }

        public boolean failed() {
            return count(State.FAILED) > 0;
        }

        public ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode().put("prefix", prefix).put("rev", rev);
            if (wanted > 0) {
                o.put("wanted", wanted);
            }
            if (stage != null) {
                ObjectNode s = o.putObject("stage");
                stage.pods().forEach(s.putArray("pods")::add);
                stage.groups().forEach(s.putArray("groups")::add);
                stage.keys().forEach(s.putArray("keys")::add);
            }
            ArrayNode a = o.putArray("pods");
            for (Pod p : pods) {
                ObjectNode j = a.addObject().put("namespace", p.namespace()).put("app", p.app()).put("pod", p.pod());
                if (!p.group().isEmpty()) {
                    j.put("group", p.group());
                }
                j.put("rev", p.rev()).put("target", p.target()).put("state", p.state().name().toLowerCase())
                        .put("status", p.status()).put("staged", p.staged());
                if (p.problem() != null) {
                    j.put("problem", p.problem());
                }
            }
            o.putObject("summary").put("pods", pods.size()).put("applied", count(State.APPLIED))
                    .put("lagging", count(State.LAGGING)).put("failed", count(State.FAILED));
            o.put("done", done()).put("failed", failed());
            return o;
        }
    }

    private RolloutStatus() {}

    /**
     * The report for {@code prefix} from {@code files} (every file under it) and {@code presences}
     * (every file under {@link #PRESENCE}), both read at {@code rev}; {@code wanted} the revision
     * asked for (0: each pod's newest).
     */
    public static Report of(String prefix, long wanted, List<FileEntry> files, List<FileEntry> presences, long rev) {
        Stage stage = null;
        String record = Stage.recordPath(prefix);
        for (FileEntry f : files) {
            if (f.path().equals(record)) {
                try {
                    stage = Stage.parse(f.path(), f.value());
                } catch (io.cairn.node.store.StoreException unreadable) {
                    // reported as no stage: promote and abort say what is wrong with it
                }
            }
        }
        List<Pod> pods = new ArrayList<>();
        for (FileEntry p : presences) {
            Pod pod = pod(prefix, wanted, files, p, stage);
            if (pod != null) {
                pods.add(pod);
            }
        }
        return new Report(prefix, rev, wanted, stage, List.copyOf(pods));
    }

    private static Pod pod(String prefix, long wanted, List<FileEntry> files, FileEntry presence, Stage stage) {
        String[] seg = presence.path().split("/");
        if (seg.length != 5) {
            return null; // not /presence/NAMESPACE/APP/POD
        }
        JsonNode j;
        try {
            j = JSON.readTree(presence.value());
        } catch (Exception notASidecars) {
            return null;
        }
        if (j == null || !j.path("prefixes").isArray()) {
            return null; // not a sidecar's, or one too old to say what it watches
        }
        List<String> watched = new ArrayList<>();
        for (JsonNode w : j.get("prefixes")) {
            String wp = w.asText();
            if (Paths.isUnder(wp, prefix) || Paths.isUnder(prefix, wp)) {
                watched.add(wp);
            }
        }
        if (watched.isEmpty()) {
            return null;
        }
        String name = seg[4];
        String group = j.path("group").asText("");
        long target = wanted;
        if (target <= 0) {
            for (FileEntry f : files) {
                if (f.rev() > target && sees(name, group, watched, f.path())) {
                    target = f.rev();
                }
            }
        }
        long rev = j.path("rev").asLong(-1);
        String status = j.path("status").asText("unknown");
        String problem = j.hasNonNull("problem") ? j.get("problem").asText() : null;
        State state = status.equals("degraded") ? State.FAILED : rev >= target ? State.APPLIED : State.LAGGING;
        boolean staged = stage != null && (stage.pods().contains(name) || !group.isEmpty() && stage.groups().contains(group));
        return new Pod(seg[2], seg[3], name, group, rev, target, state, status, problem, staged);
    }

    /**
     * Whether pod {@code pod} of {@code group} (empty: none), watching {@code watched}, sees file
     * {@code path}: the sidecar's overlay rules (a pod reads the shared keys, its group's, its
     * ordinal's and its own, none of another's).
     */
    static boolean sees(String pod, String group, List<String> watched, String path) {
        for (String w : watched) {
            if (!Paths.isUnder(path, w) || path.equals(w)) {
                continue;
            }
            String rel = path.substring(w.endsWith("/") ? w.length() : w.length() + 1);
            if (rel.startsWith(Stage.PODS + "/")) {
                return rel.startsWith(Stage.PODS + "/" + pod + "/");
            }
            if (rel.startsWith(Stage.GROUPS + "/")) {
                return !group.isEmpty() && rel.startsWith(Stage.GROUPS + "/" + group + "/");
            }
            if (rel.startsWith(Stage.ORDINALS + "/")) {
                String ord = ordinal(pod);
                return ord != null && rel.startsWith(Stage.ORDINALS + "/" + ord + "/");
            }
            return true;
        }
        return false;
    }

    /** The StatefulSet ordinal in a pod's name ({@code db-2}: 2), as the sidecar reads it, or null. */
    static String ordinal(String pod) {
        int dash = pod.lastIndexOf('-');
        if (dash < 0 || dash == pod.length() - 1) {
            return null;
        }
        String n = pod.substring(dash + 1);
        return n.matches("0|[1-9][0-9]{0,8}") ? n : null;
    }
}
