package io.cairn.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The mutating admission webhook's logic: an AdmissionReview for a pod in, an AdmissionReview
 * answer out. A pod labelled or annotated {@code cairn.io/inject: "true"} (the chart's webhook
 * selects pods by the label, so the apiserver asks about no other pod) gets an init container (the
 * sidecar in init mode, so config exists before the app starts), the sidecar, a shared volume
 * mounted into every app container, and the Downward API env that names the pod. A pod already
 * injected is left alone; bad annotations are refused with a message kubectl shows. For a
 * cluster with TLS, {@code cairn.io/tls-secret} names a Secret in the pod's namespace (tls.crt,
 * tls.key, ca.crt; the cluster's NAME-client-tls, or a copy of it) that both sidecar containers
 * mount and connect with.
 */
public final class SidecarInjector {
    public static final String INJECT = "cairn.io/inject";
    public static final String CLUSTER = "cairn.io/cluster";
    public static final String WATCH = "cairn.io/watch";
    public static final String RENDER = "cairn.io/render";
    public static final String MOUNT_PATH = "cairn.io/mount-path";
    public static final String ON_CHANGE = "cairn.io/on-change";
    public static final String INJECTED = "cairn.io/injected";
    public static final String TLS_SECRET = "cairn.io/tls-secret";
    public static final String ON_TERMINATE = "cairn.io/on-terminate";
    public static final String TERMINATE_DELAY = "cairn.io/terminate-delay";
    public static final String READINESS_URL = "cairn.io/readiness-url";
    public static final String WAIT = "cairn.io/wait";
    public static final String RELOAD_ON = "cairn.io/reload-on";
    /**
     * auto (default: when the cluster runs Kubernetes 1.29 or later), true or false: the sidecar as a native sidecar, an
     * init container with restartPolicy Always, so a Job's pod completes when its app does.
     */
    public static final String NATIVE_SIDECAR = "cairn.io/native-sidecar";
    /**
     * CONTAINER[,CONTAINER]: run these app containers' own commands through {@code cairn-sidecar exec}, the watched
     * config as their environment, kept current (envconsul's model). Each must have a command in the pod spec.
     */
    public static final String EXEC = "cairn.io/exec";
    /** restart (default), signal:NAME or none: what a wrapped app gets when its environment changes. */
    public static final String EXEC_ON_CHANGE = "cairn.io/exec-on-change";
    static final String EXEC_VOLUME = "cairn-exec";
    static final String EXEC_DIR = "/var/run/cairn/exec";
    static final String EXEC_INSTALL = "cairn-exec-install";
    static final String SIDECAR_MEMORY_REQUEST = "48Mi";
    /**
     * The sidecar image's JVM flags (docker/sidecar.Dockerfile's ENTRYPOINT), for the JVM that wraps an app; all but
     * the image's class-data-sharing archive, which matches only the jar at the image's own path.
     */
    static final List<String> SIDECAR_JVM_FLAGS = List.of("-XX:+UseSerialGC", "-Xms4m", "-Xmx24m", "-Xmn1m", "-Xss256k",
            "-XX:MaxMetaspaceSize=40m", "-XX:ReservedCodeCacheSize=12m", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
            "-XX:CompileThresholdScaling=20", "-XX:-UsePerfData", "-XX:MaxDirectMemorySize=8m", "-XX:+UnlockDiagnosticVMOptions",
            "-XX:ArchiveRelocationMode=0");
    /**
     * How long an injected sidecar ending with the pod's processes waits for an app process it has not seen (an app that
     * ended before its first look) before it ends all the same: a margin over its first looks, well under a second.
     */
    static final String APPS_UNSEEN = "5s";
    /** auto (default: when the CairnCluster enforces a policy), true or false: mount a projected service-account token. */
    public static final String AUTH_TOKEN = "cairn.io/auth-token";
    static final String TOKEN_VOLUME = "cairn-token";
    static final String TOKEN_DIR = "/var/run/cairn/token";
    /** A projected token's lifetime; the kubelet renews it at 80%, the sidecar re-reads it every minute. */
    static final int TOKEN_SECONDS = 3600;
    static final String TLS_VOLUME = "cairn-tls";
    static final String TLS_DIR = "/var/run/cairn/tls";
    /** The pod label whose value is the sidecar's overlay group. */
    static final String GROUP_LABEL = "cairn.io/group";
    static final String VOLUME = "cairn-config";
    static final String SIDECAR = "cairn-sidecar";
    static final String INIT = "cairn-init";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String sidecarImage;
    /** The audience of a CairnCluster (name, namespace) that enforces its policy; null when it does not, or is unknown. */
    private final java.util.function.BiFunction<String, String, String> clusterAudience;

    /** Whether {@code cairn.io/native-sidecar: auto} means a native sidecar: the cluster has them (Kubernetes 1.29+). */
    private final boolean nativeByDefault;

    /** An injector that learns of no cluster's policy (tokens only by annotation), for a cluster without native sidecars. */
    public SidecarInjector(String sidecarImage) {
        this(sidecarImage, (name, ns) -> null, false);
    }

    public SidecarInjector(String sidecarImage, java.util.function.BiFunction<String, String, String> clusterAudience,
            boolean nativeByDefault) {
        this.sidecarImage = sidecarImage;
        this.clusterAudience = clusterAudience;
        this.nativeByDefault = nativeByDefault;
    }

    /**
     * Whether a Kubernetes version (the API server's /version major and minor, like "1" and
     * "29+") has native sidecars on by default: 1.29 and later (beta in 1.29, GA in 1.33).
     */
    static boolean hasNativeSidecars(String major, String minor) {
        try {
            int ma = Integer.parseInt(major.replaceAll("[^0-9].*$", ""));
            int mi = Integer.parseInt(minor.replaceAll("[^0-9].*$", ""));
            return ma > 1 || ma == 1 && mi >= 29;
        } catch (NumberFormatException | NullPointerException unknown) {
            return false;
        }
    }

    /** Told how each review ended: injected, unchanged or refused (the operator's metrics). */
    private java.util.function.Consumer<String> onReview = result -> { };

    void onReview(java.util.function.Consumer<String> listener) {
        this.onReview = listener;
    }

    /** Answers one AdmissionReview (the request as JSON text). */
    public String review(String admissionReview) {
        JsonNode review;
        try {
            review = JSON.readTree(admissionReview);
        } catch (Exception e) {
            return answer("", false, "the request is not an AdmissionReview: " + e.getMessage(), null).toString();
        }
        JsonNode request = review.path("request");
        String uid = request.path("uid").asText("");
        JsonNode pod = request.path("object");
        String namespace = request.path("namespace").asText(pod.path("metadata").path("namespace").asText("default"));
        try {
            List<String> warnings = new ArrayList<>();
            ArrayNode patch = patch(pod, namespace, warnings);
            onReview.accept(patch.isEmpty() ? "unchanged" : "injected");
            ObjectNode out = answer(uid, true, null, patch);
            if (!warnings.isEmpty()) {
                // kubectl prints these ("Warning: ...") to whoever created the pod.
                warnings.forEach(((ObjectNode) out.get("response")).putArray("warnings")::add);
            }
            return out.toString();
        } catch (IllegalArgumentException refused) {
            onReview.accept("refused");
            return answer(uid, false, refused.getMessage(), null).toString();
        }
    }

    private static ObjectNode answer(String uid, boolean allowed, String message, ArrayNode patch) {
        ObjectNode out = JSON.createObjectNode();
        out.put("apiVersion", "admission.k8s.io/v1");
        out.put("kind", "AdmissionReview");
        ObjectNode resp = out.putObject("response");
        resp.put("uid", uid);
        resp.put("allowed", allowed);
        if (message != null) {
            resp.putObject("status").put("code", 400).put("message", message);
        }
        if (patch != null && !patch.isEmpty()) {
            resp.put("patchType", "JSONPatch");
            resp.put("patch", Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    /** The JSON Patch for a pod; empty when there is nothing to do. Throws with the reason a pod is refused. */
    ArrayNode patch(JsonNode pod, String namespace) {
        return patch(pod, namespace, new ArrayList<>());
    }

    /** As {@link #patch(JsonNode, String)}, adding to {@code warnings} what the pod's author should know. */
    ArrayNode patch(JsonNode pod, String namespace, List<String> warnings) {
        ArrayNode ops = JSON.createArrayNode();
        JsonNode annotations = pod.path("metadata").path("annotations");
        if (!"true".equals(annotations.path(INJECT).asText())
                && !"true".equals(pod.path("metadata").path("labels").path(INJECT).asText())) {
            return ops;
        }
        if ("true".equals(annotations.path(INJECTED).asText()) || hasContainer(pod.path("spec").path("containers"), SIDECAR)
                || hasContainer(pod.path("spec").path("initContainers"), SIDECAR)) {
            return ops; // injected already: the same pod twice is the same pod
        }
        String cluster = required(annotations, CLUSTER, "the CairnCluster to use, e.g. \"config\" or \"config.platform\"");
        if (!cluster.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)?")) {
            throw new IllegalArgumentException(CLUSTER + " \"" + cluster + "\" must be NAME or NAME.NAMESPACE of a CairnCluster");
        }
        String watch = required(annotations, WATCH, "comma-separated config prefixes, e.g. \"/config/web\"");
        for (String w : watch.split(",")) {
            if (!w.trim().matches("(/[A-Za-z0-9._-]+)+")) {
                throw new IllegalArgumentException(WATCH + " has \"" + w.trim() + "\", which is not a Cairn path like /config/web");
            }
        }
        String render = annotations.path(RENDER).asText("files");
        boolean files = false;
        String envFile = null;
        for (String r : render.split(",")) {
            String item = r.trim();
            if (item.equals("files")) {
                files = true;
            } else if (item.equals("env")) {
                envFile = "app.env";
            } else if (item.startsWith("env:") && item.substring(4).matches("[A-Za-z0-9._-]+")) {
                envFile = item.substring(4);
            } else {
                throw new IllegalArgumentException(RENDER + " \"" + item + "\" must be files, env or env:NAME");
            }
        }
        String mountPath = annotations.path(MOUNT_PATH).asText("/etc/cairn");
        if (!mountPath.startsWith("/") || mountPath.contains("..") || mountPath.equals("/")) {
            throw new IllegalArgumentException(MOUNT_PATH + " \"" + mountPath + "\" must be an absolute directory other than /");
        }
        String onChange = annotations.path(ON_CHANGE).asText("none");
        if (!onChange.matches("none|signal:[A-Z0-9]+:/\\S+|https?:\\S+|http:https?://\\S+|exec:.+")) {
            throw new IllegalArgumentException(ON_CHANGE + " \"" + onChange + "\" must be none, signal:NAME:PIDFILE, http:URL or exec:COMMAND");
        }
        String app = pod.path("metadata").path("labels").path("app").asText(
                pod.path("metadata").path("labels").path("app.kubernetes.io/name").asText(""));
        if (app.isEmpty()) {
            app = pod.path("metadata").path("generateName").asText(pod.path("metadata").path("name").asText("app")).replaceAll("-$", "");
        }
        String tlsSecret = annotations.path(TLS_SECRET).asText("").trim();
        if (!tlsSecret.isEmpty() && (tlsSecret.length() > 253
                || !tlsSecret.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"))) {
            throw new IllegalArgumentException(TLS_SECRET + " \"" + tlsSecret + "\" must be the name of a Secret in the pod's namespace");
        }
        java.util.Map<String, String> lifecycle = lifecycle(annotations, pod.path("spec"));
        String name = cluster.contains(".") ? cluster.substring(0, cluster.indexOf('.')) : cluster;
        String ns = cluster.contains(".") ? cluster.substring(cluster.indexOf('.') + 1) : namespace;
        String endpoints = name + "-client." + ns + ".svc:8046";
        String tokenMode = annotations.path(AUTH_TOKEN).asText("auto").trim();
        if (!tokenMode.matches("auto|true|false")) {
            throw new IllegalArgumentException(AUTH_TOKEN + " \"" + tokenMode + "\" must be auto, true or false");
        }
        String nativeMode = annotations.path(NATIVE_SIDECAR).asText("auto").trim();
        if (!nativeMode.matches("auto|true|false")) {
            throw new IllegalArgumentException(NATIVE_SIDECAR + " \"" + nativeMode + "\" must be auto, true or false");
        }
        boolean nativeSidecar = nativeMode.equals("true") || nativeMode.equals("auto") && nativeByDefault;
        String audience = tokenMode.equals("false") ? null : clusterAudience.apply(name, ns);
        if (audience == null && tokenMode.equals("true")) {
            audience = "cairn";
        }

        JsonNode spec = pod.path("spec");
        List<Integer> wrapped = wrapped(annotations, spec.path("containers"));
        String execOnChange = annotations.path(EXEC_ON_CHANGE).asText("restart").trim();
        if (!execOnChange.matches("restart|none|signal:[A-Z0-9]+")) {
            throw new IllegalArgumentException(EXEC_ON_CHANGE + " \"" + execOnChange + "\" must be restart, none or signal:NAME (like signal:HUP)");
        }
        String restartPolicy = spec.path("restartPolicy").asText("Always");
        // A pod that runs to completion (a Job's) ends only when every container has: a sidecar container must see
        // its apps end. A native sidecar is stopped by the kubelet. Under Never, in a pod that shares its process
        // namespace, the sidecar sees the app containers' processes end; otherwise it needs the exit files the
        // wrappers leave, which also tell a failure (OnFailure runs a failed app again) from a success.
        boolean runsToCompletion = !nativeSidecar && !restartPolicy.equals("Always");
        boolean sharedProcesses = spec.path("shareProcessNamespace").asBoolean(false);
        boolean exitWithProcesses = runsToCompletion && restartPolicy.equals("Never") && sharedProcesses;
        boolean exitWithApps = runsToCompletion && !exitWithProcesses && !wrapped.isEmpty();
        if (runsToCompletion && !exitWithProcesses && wrapped.isEmpty()) {
            warnings.add("the pod's restartPolicy is " + restartPolicy + " but its Cairn sidecar is a container that does not end by itself"
                    + " (" + NATIVE_SIDECAR + " is false, or the cluster is older than 1.29), so the pod will not complete: wrap its app"
                    + " with " + EXEC + (restartPolicy.equals("Never") ? ", give the pod shareProcessNamespace: true" : "")
                    + ", or use a native sidecar");
        }
        ObjectNode volume = JSON.createObjectNode().put("name", VOLUME);
        volume.putObject("emptyDir");
        append(ops, spec.path("volumes"), "/spec/volumes", volume);
        if (!tlsSecret.isEmpty()) {
            ObjectNode tls = JSON.createObjectNode().put("name", TLS_VOLUME);
            tls.putObject("secret").put("secretName", tlsSecret);
            // After the first append the array exists: add to its end.
            ops.addObject().put("op", "add").put("path", "/spec/volumes/-").set("value", tls);
        }
        if (audience != null) {
            // The pod's own identity for the cluster's policy: a short-lived token for Cairn's audience only.
            ObjectNode token = JSON.createObjectNode().put("name", TOKEN_VOLUME);
            token.putObject("projected").putArray("sources").addObject().putObject("serviceAccountToken")
                    .put("audience", audience).put("expirationSeconds", TOKEN_SECONDS).put("path", "token");
            ops.addObject().put("op", "add").put("path", "/spec/volumes/-").set("value", token);
        }
        ObjectNode init = container(INIT, "init", endpoints, watch, files, envFile, "none", app);
        ObjectNode sidecar = container(SIDECAR, "run", endpoints, watch, files, envFile, onChange, app);
        if (audience != null) {
            for (ObjectNode c : List.of(init, sidecar)) {
                ((ArrayNode) c.get("env")).addObject().put("name", "CAIRN_TOKEN_FILE").put("value", TOKEN_DIR + "/token");
                ((ArrayNode) c.get("volumeMounts")).addObject().put("name", TOKEN_VOLUME).put("mountPath", TOKEN_DIR).put("readOnly", true);
            }
        }
        lifecycle.forEach((k, v) -> ((ArrayNode) sidecar.get("env")).addObject().put("name", k).put("value", v));
        if (onChange.startsWith("signal:")) {
            ((ArrayNode) sidecar.get("volumeMounts")).add(pidFileMount(onChange, spec));
        }
        if (!tlsSecret.isEmpty()) {
            for (ObjectNode c : List.of(init, sidecar)) {
                ArrayNode env = (ArrayNode) c.get("env");
                env.addObject().put("name", "CAIRN_CACERT").put("value", TLS_DIR + "/ca.crt");
                env.addObject().put("name", "CAIRN_CERT").put("value", TLS_DIR + "/tls.crt");
                env.addObject().put("name", "CAIRN_KEY").put("value", TLS_DIR + "/tls.key");
                ((ArrayNode) c.get("volumeMounts")).addObject().put("name", TLS_VOLUME).put("mountPath", TLS_DIR).put("readOnly", true);
            }
        }
        if (!wrapped.isEmpty()) {
            ObjectNode execVolume = JSON.createObjectNode().put("name", EXEC_VOLUME);
            execVolume.putObject("emptyDir");
            ops.addObject().put("op", "add").put("path", "/spec/volumes/-").set("value", execVolume);
            ObjectNode install = JSON.createObjectNode().put("name", EXEC_INSTALL).put("image", sidecarImage);
            install.putArray("command").add("/app/cairn-exec-install").add(EXEC_DIR);
            install.putArray("volumeMounts").addObject().put("name", EXEC_VOLUME).put("mountPath", EXEC_DIR);
            append(ops, spec.path("initContainers"), "/spec/initContainers", install);
            ops.addObject().put("op", "add").put("path", "/spec/initContainers/-").set("value", init);
            String group = pod.path("metadata").path("labels").path(GROUP_LABEL).asText("");
            for (int i : wrapped) {
                JsonNode c = spec.path("containers").get(i);
                ArrayNode command = JSON.createArrayNode().add(EXEC_DIR + "/jre/bin/java");
                SIDECAR_JVM_FLAGS.forEach(command::add);
                command.add("-jar").add(EXEC_DIR + "/cairn-sidecar.jar").add("exec").add("--endpoints").add(endpoints).add("--watch").add(watch)
                        .add("--on-env-change").add(execOnChange);
                if (!group.isEmpty()) {
                    command.add("--group").add(group);
                }
                if (audience != null) {
                    command.add("--token-file").add(TOKEN_DIR + "/token");
                }
                if (!tlsSecret.isEmpty()) {
                    command.add("--cacert").add(TLS_DIR + "/ca.crt").add("--cert").add(TLS_DIR + "/tls.crt").add("--key").add(TLS_DIR + "/tls.key");
                }
                if (exitWithApps) {
                    command.add("--exit-file").add(EXEC_DIR + "/" + c.path("name").asText() + ".exit");
                }
                command.add("--");
                c.path("command").forEach(command::add);
                ops.addObject().put("op", "replace").put("path", "/spec/containers/" + i + "/command").set("value", command);
                String mounts = "/spec/containers/" + i + "/volumeMounts";
                boolean none = c.path("volumeMounts").isMissingNode() || c.path("volumeMounts").isNull();
                // The config volume's mount below appends to the same list: create it here if it is not there.
                ObjectNode execMount = JSON.createObjectNode().put("name", EXEC_VOLUME).put("mountPath", EXEC_DIR);
                if (none) {
                    ops.addObject().put("op", "add").put("path", mounts).set("value", JSON.createArrayNode().add(execMount));
                } else {
                    ops.addObject().put("op", "add").put("path", mounts + "/-").set("value", execMount);
                }
                if (audience != null) {
                    ops.addObject().put("op", "add").put("path", mounts + "/-").set("value",
                            JSON.createObjectNode().put("name", TOKEN_VOLUME).put("mountPath", TOKEN_DIR).put("readOnly", true));
                }
                if (!tlsSecret.isEmpty()) {
                    ops.addObject().put("op", "add").put("path", mounts + "/-").set("value",
                            JSON.createObjectNode().put("name", TLS_VOLUME).put("mountPath", TLS_DIR).put("readOnly", true));
                }
            }
            if (exitWithApps) {
                ArrayNode env = (ArrayNode) sidecar.get("env");
                env.addObject().put("name", "CAIRN_EXIT_WITH").put("value", String.join(",",
                        wrapped.stream().map(i -> EXEC_DIR + "/" + spec.path("containers").get(i).path("name").asText() + ".exit").toList()));
                if (restartPolicy.equals("OnFailure")) {
                    env.addObject().put("name", "CAIRN_EXIT_WITH_SUCCESS").put("value", "true");
                }
                ((ArrayNode) sidecar.get("volumeMounts")).addObject().put("name", EXEC_VOLUME).put("mountPath", EXEC_DIR).put("readOnly", true);
            }
        } else {
            append(ops, spec.path("initContainers"), "/spec/initContainers", init);
        }
        if (exitWithProcesses) {
            ArrayNode env = (ArrayNode) sidecar.get("env");
            env.addObject().put("name", "CAIRN_EXIT_WITH_APPS").put("value", "true");
            // The sidecar comes after the app containers, and the kubelet starts a pod's containers one at a time in
            // order: their processes exist before the sidecar's JVM does. One the sidecar does not see on its first looks
            // has already ended, so it need not wait the 30 s that a sidecar started by hand allows.
            env.addObject().put("name", "CAIRN_EXIT_WITH_APPS_UNSEEN").put("value", APPS_UNSEEN);
        }
        JsonNode containers = spec.path("containers");
        for (int i = 0; i < containers.size(); i++) {
            ObjectNode mount = JSON.createObjectNode().put("name", VOLUME).put("mountPath", mountPath).put("readOnly", true);
            if (wrapped.contains(i)) {
                ops.addObject().put("op", "add").put("path", "/spec/containers/" + i + "/volumeMounts/-").set("value", mount);
            } else {
                append(ops, containers.get(i).path("volumeMounts"), "/spec/containers/" + i + "/volumeMounts", mount);
            }
        }
        if (nativeSidecar) {
            // After cairn-init, so the config is there first; the kubelet starts the app once the sidecar has started,
            // stops it only after the app's containers have ended, and a Job's pod completes when its app does.
            sidecar.put("restartPolicy", "Always");
            ops.addObject().put("op", "add").put("path", "/spec/initContainers/-").set("value", sidecar);
        } else {
            append(ops, containers, "/spec/containers", sidecar);
        }
        if (pod.path("metadata").path("annotations").isMissingNode()) {
            ops.addObject().put("op", "add").put("path", "/metadata/annotations").putObject("value").put(INJECTED, "true");
        } else {
            ops.addObject().put("op", "add").put("path", "/metadata/annotations/" + INJECTED.replace("/", "~1")).put("value", "true");
        }
        return ops;
    }

    /** The indexes of the containers {@code cairn.io/exec} names; each must exist and have a command. */
    private static List<Integer> wrapped(JsonNode annotations, JsonNode containers) {
        List<Integer> out = new ArrayList<>();
        String exec = annotations.path(EXEC).asText("").trim();
        if (exec.isEmpty()) {
            return out;
        }
        for (String n : exec.split(",")) {
            String name = n.trim();
            int found = -1;
            for (int i = 0; i < containers.size(); i++) {
                if (containers.get(i).path("name").asText().equals(name)) {
                    found = i;
                }
            }
            if (found < 0) {
                throw new IllegalArgumentException(EXEC + " names \"" + name + "\", which is not one of the pod's containers "
                        + names(containers));
            }
            JsonNode command = containers.get(found).path("command");
            if (!command.isArray() || command.isEmpty()) {
                throw new IllegalArgumentException(EXEC + ": container " + name + " has no command in the pod spec; the webhook cannot"
                        + " see its image's ENTRYPOINT, so give the container the command it runs");
            }
            if (!out.contains(found)) {
                out.add(found);
            }
        }
        return out;
    }

    /**
     * For {@code signal:NAME:PIDFILE}: the app's volume that holds the pid file, mounted read-only into the sidecar at the
     * same path. The sidecar reads the pid from its own file system and signals it in its own process namespace, so the
     * action works only where both are the app's: refused, with what to change, where they are not.
     */
    private static ObjectNode pidFileMount(String onChange, JsonNode spec) {
        String pidFile = onChange.substring(onChange.indexOf(':', "signal:".length()) + 1);
        if (!spec.path("shareProcessNamespace").asBoolean(false) && !spec.path("hostPID").asBoolean(false)) {
            throw new IllegalArgumentException(ON_CHANGE + " \"" + onChange + "\" signals the app's process, which the sidecar can see"
                    + " only in a pod that shares its process namespace: give the pod shareProcessNamespace: true");
        }
        JsonNode holding = null;
        int deepest = -1;
        for (JsonNode c : spec.path("containers")) {
            for (JsonNode m : c.path("volumeMounts")) {
                String dir = m.path("mountPath").asText("").replaceAll("/+$", "");
                if (pidFile.startsWith(dir + "/") && dir.length() > deepest) {
                    holding = m;
                    deepest = dir.length();
                }
            }
        }
        if (holding == null) {
            throw new IllegalArgumentException(ON_CHANGE + " \"" + onChange + "\" reads the pid from " + pidFile + ", which is on no volume"
                    + " an app container mounts: write it to a volume the app mounts (an emptyDir), and the sidecar is given that volume too");
        }
        String dir = holding.path("mountPath").asText();
        if ((dir + "/").startsWith("/var/run/cairn/")) {
            throw new IllegalArgumentException(ON_CHANGE + ": the pid file's volume is mounted at " + dir + ", which is the sidecar's own"
                    + " (/var/run/cairn): mount it elsewhere");
        }
        ObjectNode mount = JSON.createObjectNode().put("name", holding.path("name").asText()).put("mountPath", dir).put("readOnly", true);
        for (String sub : List.of("subPath", "subPathExpr")) {
            if (holding.hasNonNull(sub)) {
                mount.put(sub, holding.path(sub).asText());
            }
        }
        return mount;
    }

    private ObjectNode container(String name, String mode, String endpoints, String watch, boolean files, String envFile,
            String onChange, String app) {
        ObjectNode c = JSON.createObjectNode();
        c.put("name", name);
        c.put("image", sidecarImage);
        ArrayNode env = c.putArray("env");
        env.addObject().put("name", "CAIRN_MODE").put("value", mode);
        env.addObject().put("name", "CAIRN_ENDPOINTS").put("value", endpoints);
        env.addObject().put("name", "CAIRN_WATCH").put("value", watch);
        env.addObject().put("name", "CAIRN_OUT").put("value", "/var/run/cairn/config");
        env.addObject().put("name", "CAIRN_APP").put("value", app);
        env.addObject().put("name", "CAIRN_ON_CHANGE").put("value", onChange);
        if (envFile != null) {
            env.addObject().put("name", "CAIRN_ENV_FILE").put("value", envFile);
        }
        if (!files) {
            c.putArray("args").add("--no-files");
        }
        // CAIRN_GROUP: the pod's overlay group, its label cairn.io/group (empty without one), which a staged change reaches first.
        for (String[] f : new String[][] {{"POD_NAME", "metadata.name"}, {"POD_NAMESPACE", "metadata.namespace"}, {"POD_IP", "status.podIP"},
                {"CAIRN_GROUP", "metadata.labels['" + GROUP_LABEL + "']"}}) {
            ObjectNode e = env.addObject().put("name", f[0]);
            e.putObject("valueFrom").putObject("fieldRef").put("fieldPath", f[1]);
        }
        c.putArray("volumeMounts").addObject().put("name", VOLUME).put("mountPath", "/var/run/cairn/config");
        ObjectNode res = c.putObject("resources");
        // The request is what bench/sidecar-footprint.sh measures under load (45 MiB, the 48 MiB target);
        // the limit leaves room for a burst of large values.
        res.putObject("requests").put("cpu", "10m").put("memory", SIDECAR_MEMORY_REQUEST);
        res.putObject("limits").put("memory", "128Mi");
        if (mode.equals("run")) {
            ObjectNode probe = c.putObject("readinessProbe");
            probe.putObject("httpGet").put("path", "/readyz").put("port", 8049);
            env.addObject().put("name", "CAIRN_HEALTH_ADDR").put("value", "0.0.0.0:8049");
        }
        return c;
    }

    private static void append(ArrayNode ops, JsonNode existing, String path, JsonNode value) {
        if (existing.isMissingNode() || existing.isNull()) {
            ArrayNode arr = JSON.createArrayNode();
            arr.add(value);
            ops.addObject().put("op", "add").put("path", path).set("value", arr);
        } else {
            ops.addObject().put("op", "add").put("path", path + "/-").set("value", value);
        }
    }

    private static boolean hasContainer(JsonNode containers, String name) {
        for (JsonNode c : containers) {
            if (name.equals(c.path("name").asText())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The presence's lifecycle from the pod's annotations, as the run-mode sidecar's variables:
     * marked terminating or removed on SIGTERM, how long it keeps rendering after (less than the
     * pod's grace period, or the kubelet kills it first), and the app's readiness URL.
     */
    private static java.util.Map<String, String> lifecycle(JsonNode annotations, JsonNode spec) {
        java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
        String onTerminate = annotations.path(ON_TERMINATE).asText("").trim();
        if (!onTerminate.isEmpty()) {
            if (!onTerminate.equals("mark") && !onTerminate.equals("remove")) {
                throw new IllegalArgumentException(ON_TERMINATE + " \"" + onTerminate + "\" must be mark or remove");
            }
            env.put("CAIRN_ON_TERMINATE", onTerminate);
        }
        String delay = annotations.path(TERMINATE_DELAY).asText("").trim();
        if (!delay.isEmpty()) {
            java.time.Duration d;
            try {
                d = isZero(delay) ? java.time.Duration.ZERO : io.cairn.client.Durations.parse(delay);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(TERMINATE_DELAY + " \"" + delay + "\": " + e.getMessage());
            }
            long grace = spec.path("terminationGracePeriodSeconds").asLong(30);
            if (d.toMillis() >= grace * 1000) {
                throw new IllegalArgumentException(TERMINATE_DELAY + " \"" + delay + "\" must be shorter than the pod's"
                        + " terminationGracePeriodSeconds (" + grace + " s), or the kubelet kills the sidecar before its presence ends");
            }
            env.put("CAIRN_TERMINATE_DELAY", delay);
        }
        String wait = annotations.path(WAIT).asText("").trim();
        if (!wait.isEmpty() && !isZero(wait)) {
            try {
                for (String part : wait.split(":", -1)) {
                    io.cairn.client.Durations.parse(part);
                }
                if (wait.split(":", -1).length > 2) {
                    throw new IllegalArgumentException("more than MIN:MAX");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(WAIT + " \"" + wait + "\" must be MIN or MIN:MAX durations, like 2s:10s: "
                        + e.getMessage());
            }
            env.put("CAIRN_WAIT", wait);
        } else if (!wait.isEmpty()) {
            env.put("CAIRN_WAIT", "0s");
        }
        String reloadOn = annotations.path(RELOAD_ON).asText("").trim();
        if (!reloadOn.isEmpty()) {
            for (String r : reloadOn.split(",")) {
                if (!r.trim().matches("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")) {
                    throw new IllegalArgumentException(RELOAD_ON + " has \"" + r.trim() + "\", which is not an output's relative path");
                }
            }
            env.put("CAIRN_RELOAD_ON", reloadOn);
        }
        String readiness = annotations.path(READINESS_URL).asText("").trim();
        if (!readiness.isEmpty()) {
            if (!readiness.matches("http://[^/\\s]+(/\\S*)?")) {
                throw new IllegalArgumentException(READINESS_URL + " \"" + readiness
                        + "\" must be an http URL the sidecar can reach in the pod, like http://127.0.0.1:8080/ready");
            }
            env.put("CAIRN_READINESS_URL", readiness);
        }
        return env;
    }

    /** "0", "0s", "0ms": none, as the sidecar's --wait and --terminate-delay read it. */
    private static boolean isZero(String duration) {
        return duration.matches("0+(ms|s|m|h)?");
    }

    private static String required(JsonNode annotations, String key, String what) {
        String v = annotations.path(key).asText("").trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("annotation " + key + " is required with " + INJECT + ": " + what);
        }
        return v;
    }

    static List<String> names(JsonNode containers) {
        List<String> out = new ArrayList<>();
        containers.forEach(c -> out.add(c.path("name").asText()));
        return out;
    }
}
