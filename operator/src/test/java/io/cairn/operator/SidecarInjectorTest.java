package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.zjsonpatch.JsonPatch;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class SidecarInjectorTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final SidecarInjector injector = new SidecarInjector("ghcr.io/cairn/sidecar:0.1.0");

    static String review(String annotations) {
        return """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","namespace":"shop",
             "object":{"metadata":{"name":"web-abc","labels":{"app":"web"},"annotations":%s},
               "spec":{"containers":[{"name":"web","image":"nginx"}]}}}}
            """.formatted(annotations);
    }

    private JsonNode respond(String review) throws Exception {
        return JSON.readTree(injector.review(review)).path("response");
    }

    private JsonNode patched(String review) throws Exception {
        JsonNode resp = respond(review);
        assertThat(resp.path("allowed").asBoolean()).as(resp.toString()).isTrue();
        JsonNode pod = JSON.readTree(review).path("request").path("object");
        if (!resp.has("patch")) {
            return pod;
        }
        JsonNode patch = JSON.readTree(new String(Base64.getDecoder().decode(resp.path("patch").asText()), StandardCharsets.UTF_8));
        return JsonPatch.apply(patch, pod);
    }

    @Test
    void injectsInitContainerSidecarVolumeAndDownwardApi() throws Exception {
        JsonNode pod = patched(review("""
            {"cairn.io/inject":"true","cairn.io/cluster":"config","cairn.io/watch":"/config/web",
             "cairn.io/render":"files,env","cairn.io/mount-path":"/etc/web","cairn.io/on-change":"http://127.0.0.1:8080/-/reload"}"""));
        JsonNode spec = pod.path("spec");
        assertThat(SidecarInjector.names(spec.path("containers"))).containsExactly("web", "cairn-sidecar");
        assertThat(SidecarInjector.names(spec.path("initContainers"))).containsExactly("cairn-init");
        assertThat(spec.path("volumes").get(0).path("name").asText()).isEqualTo("cairn-config");
        JsonNode appMount = spec.path("containers").get(0).path("volumeMounts").get(0);
        assertThat(appMount.path("mountPath").asText()).isEqualTo("/etc/web");
        assertThat(appMount.path("readOnly").asBoolean()).isTrue();
        String env = spec.path("containers").get(1).path("env").toString();
        assertThat(env).contains("\"CAIRN_ENDPOINTS\",\"value\":\"config-client.shop.svc:8046\"")
                .contains("\"CAIRN_WATCH\",\"value\":\"/config/web\"").contains("\"CAIRN_APP\",\"value\":\"web\"")
                .contains("\"CAIRN_ENV_FILE\",\"value\":\"app.env\"").contains("http://127.0.0.1:8080/-/reload")
                .contains("\"fieldPath\":\"metadata.name\"").contains("\"fieldPath\":\"metadata.namespace\"").contains("\"fieldPath\":\"status.podIP\"")
                .contains("{\"name\":\"CAIRN_GROUP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.labels['cairn.io/group']\"}}}");
        assertThat(spec.path("initContainers").get(0).path("env").toString()).contains("\"CAIRN_MODE\",\"value\":\"init\"");
        assertThat(pod.path("metadata").path("annotations").path("cairn.io/injected").asText()).isEqualTo("true");
    }

    @Test
    void onAClusterWithNativeSidecarsTheSidecarIsARestartableInitContainerAfterCairnInit() throws Exception {
        SidecarInjector modern = new SidecarInjector("sidecar:test", (name, ns) -> null, true);
        String annotations = "{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"config\",\"cairn.io/watch\":\"/config/web\"}";
        JsonNode pod = apply(modern, review(annotations));
        JsonNode spec = pod.path("spec");
        assertThat(SidecarInjector.names(spec.path("initContainers"))).containsExactly("cairn-init", "cairn-sidecar");
        assertThat(SidecarInjector.names(spec.path("containers"))).containsExactly("web");
        assertThat(spec.path("initContainers").get(1).path("restartPolicy").asText()).isEqualTo("Always");
        assertThat(spec.path("initContainers").get(1).path("env").toString()).contains("\"CAIRN_MODE\",\"value\":\"run\"");
        assertThat(spec.path("initContainers").get(0).has("restartPolicy")).as("cairn-init runs to completion").isFalse();
        // Injected once: the webhook asked again about the same pod changes nothing.
        String again = """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-2","namespace":"shop","object":%s}}
            """.formatted(pod.toString().replace("\"cairn.io/injected\":\"true\",", "").replace(",\"cairn.io/injected\":\"true\"", ""));
        assertThat(JSON.readTree(modern.review(again)).path("response").has("patch")).isFalse();
        // The annotation chooses either way.
        JsonNode asContainer = apply(modern, review(annotations.replace("}", ",\"cairn.io/native-sidecar\":\"false\"}")));
        assertThat(SidecarInjector.names(asContainer.path("spec").path("containers"))).containsExactly("web", "cairn-sidecar");
        JsonNode asked = patched(review(annotations.replace("}", ",\"cairn.io/native-sidecar\":\"true\"}")));
        assertThat(SidecarInjector.names(asked.path("spec").path("initContainers"))).containsExactly("cairn-init", "cairn-sidecar");
        JsonNode bad = respond(review(annotations.replace("}", ",\"cairn.io/native-sidecar\":\"yes\"}")));
        assertThat(bad.path("allowed").asBoolean()).isFalse();
        assertThat(bad.path("status").path("message").asText()).isEqualTo("cairn.io/native-sidecar \"yes\" must be auto, true or false");
    }

    @Test
    void nativeSidecarsFollowTheKubernetesVersion() {
        assertThat(SidecarInjector.hasNativeSidecars("1", "29")).isTrue();
        assertThat(SidecarInjector.hasNativeSidecars("1", "34+")).isTrue();
        assertThat(SidecarInjector.hasNativeSidecars("1", "28")).isFalse();
        assertThat(SidecarInjector.hasNativeSidecars("2", "0")).isTrue();
        assertThat(SidecarInjector.hasNativeSidecars("", "x")).isFalse();
        assertThat(SidecarInjector.hasNativeSidecars(null, "29")).isFalse();
    }

    private static JsonNode apply(SidecarInjector injector, String review) throws Exception {
        JsonNode resp = JSON.readTree(injector.review(review)).path("response");
        assertThat(resp.path("allowed").asBoolean()).as(resp.toString()).isTrue();
        return JsonPatch.apply(JSON.readTree(new String(Base64.getDecoder().decode(resp.path("patch").asText()), StandardCharsets.UTF_8)),
                JSON.readTree(review).path("request").path("object"));
    }

    @Test
    void aTlsSecretIsMountedIntoBothSidecarContainersAndNamedInTheirEnv() throws Exception {
        JsonNode pod = patched(review("""
            {"cairn.io/inject":"true","cairn.io/cluster":"config","cairn.io/watch":"/config/web",
             "cairn.io/tls-secret":"config-client-tls"}"""));
        JsonNode spec = pod.path("spec");
        assertThat(spec.path("volumes").toString()).contains("\"name\":\"cairn-tls\",\"secret\":{\"secretName\":\"config-client-tls\"}");
        for (JsonNode c : new JsonNode[] {spec.path("initContainers").get(0), spec.path("containers").get(1)}) {
            assertThat(c.path("env").toString()).as(c.path("name").asText())
                    .contains("\"CAIRN_CACERT\",\"value\":\"/var/run/cairn/tls/ca.crt\"")
                    .contains("\"CAIRN_CERT\",\"value\":\"/var/run/cairn/tls/tls.crt\"")
                    .contains("\"CAIRN_KEY\",\"value\":\"/var/run/cairn/tls/tls.key\"");
            assertThat(c.path("volumeMounts").toString()).contains("\"name\":\"cairn-tls\",\"mountPath\":\"/var/run/cairn/tls\"");
        }
        // The app container does not get the client key.
        assertThat(spec.path("containers").get(0).toString()).doesNotContain("cairn-tls");
    }

    @Test
    void theChartsSelectorLabelAsksForTheSidecarToo() throws Exception {
        String labelled = review("""
            {"cairn.io/cluster":"config","cairn.io/watch":"/config/web"}""")
                .replace("\"labels\":{\"app\":\"web\"}", "\"labels\":{\"app\":\"web\",\"cairn.io/inject\":\"true\"}");
        JsonNode pod = patched(labelled);
        assertThat(SidecarInjector.names(pod.path("spec").path("containers"))).containsExactly("web", "cairn-sidecar");
        // Neither the label nor the annotation: the pod is left as it is.
        assertThat(respond(review("""
            {"cairn.io/cluster":"config","cairn.io/watch":"/config/web"}""")).has("patch")).isFalse();
    }

    @Test
    void injectingTwiceChangesNothing() throws Exception {
        String first = review("""
            {"cairn.io/inject":"true","cairn.io/cluster":"config.platform","cairn.io/watch":"/config/web"}""");
        JsonNode once = patched(first);
        String again = """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-2","namespace":"shop","object":%s}}
            """.formatted(once.toString());
        JsonNode resp = respond(again);
        assertThat(resp.path("allowed").asBoolean()).isTrue();
        assertThat(resp.has("patch")).isFalse();
        assertThat(once.path("spec").path("containers").get(1).path("env").toString()).contains("config-client.platform.svc:8046");
    }

    @Test
    void podsWithoutTheAnnotationAreUntouched() throws Exception {
        JsonNode resp = respond(review("{\"other\":\"x\"}"));
        assertThat(resp.path("allowed").asBoolean()).isTrue();
        assertThat(resp.has("patch")).isFalse();
        assertThat(resp.path("uid").asText()).isEqualTo("u-1");
    }

    @Test
    void thePresenceLifecycleAnnotationsReachTheRunningSidecarOnly() throws Exception {
        JsonNode pod = patched(review("""
            {"cairn.io/inject":"true","cairn.io/cluster":"config","cairn.io/watch":"/config/web","cairn.io/on-terminate":"remove",
             "cairn.io/terminate-delay":"5s","cairn.io/readiness-url":"http://127.0.0.1:8080/ready",
             "cairn.io/wait":"2s:10s","cairn.io/reload-on":"app.conf,db/url"}"""));
        String sidecar = pod.path("spec").path("containers").get(1).path("env").toString();
        assertThat(sidecar).contains("\"CAIRN_ON_TERMINATE\",\"value\":\"remove\"").contains("\"CAIRN_TERMINATE_DELAY\",\"value\":\"5s\"")
                .contains("\"CAIRN_READINESS_URL\",\"value\":\"http://127.0.0.1:8080/ready\"")
                .contains("\"CAIRN_WAIT\",\"value\":\"2s:10s\"").contains("\"CAIRN_RELOAD_ON\",\"value\":\"app.conf,db/url\"");
        assertThat(pod.path("spec").path("initContainers").get(0).path("env").toString()).doesNotContain("CAIRN_ON_TERMINATE")
                .doesNotContain("CAIRN_READINESS_URL");
        JsonNode plain = patched(review("""
            {"cairn.io/inject":"true","cairn.io/cluster":"config","cairn.io/watch":"/config/web"}"""));
        assertThat(plain.path("spec").path("containers").get(1).path("env").toString()).doesNotContain("CAIRN_ON_TERMINATE");
    }

    static String review(String annotations, String spec) {
        return """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","namespace":"shop",
             "object":{"metadata":{"generateName":"job-","labels":{"app":"job","cairn.io/group":"canary"},"annotations":%s},"spec":%s}}}
            """.formatted(annotations, spec);
    }

    static final String EXEC_ANNOTATIONS = "{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"config\",\"cairn.io/watch\":\"/config/job\","
            + "\"cairn.io/exec\":\"main\",\"cairn.io/exec-on-change\":\"signal:HUP\"}";

    static String jobSpec(String restartPolicy) {
        return "{\"restartPolicy\":\"" + restartPolicy + "\",\"containers\":[{\"name\":\"main\",\"image\":\"busybox\","
                + "\"command\":[\"sh\",\"-c\"],\"args\":[\"echo $GREETING\"]},{\"name\":\"helper\",\"image\":\"busybox\","
                + "\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\"}]}]}";
    }

    private static java.util.List<String> strings(JsonNode array) {
        java.util.List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void execWrapsTheNamedContainersOwnCommandWithARuntimeCopiedInByAnInitContainer() throws Exception {
        JsonNode spec = patched(review(EXEC_ANNOTATIONS, jobSpec("Always"))).path("spec");
        assertThat(SidecarInjector.names(spec.path("initContainers"))).containsExactly("cairn-exec-install", "cairn-init");
        JsonNode install = spec.path("initContainers").get(0);
        assertThat(strings(install.path("command"))).containsExactly("/app/cairn-exec-install", "/var/run/cairn/exec");
        assertThat(install.path("image").asText()).isEqualTo("ghcr.io/cairn/sidecar:0.1.0");
        JsonNode main = spec.path("containers").get(0);
        java.util.List<String> command = strings(main.path("command"));
        assertThat(command.get(0)).isEqualTo("/var/run/cairn/exec/jre/bin/java");
        assertThat(command).containsSubsequence("-XX:+UseSerialGC", "-jar", "/var/run/cairn/exec/cairn-sidecar.jar", "exec",
                "--endpoints", "config-client.shop.svc:8046", "--watch", "/config/job", "--on-env-change", "signal:HUP",
                "--group", "canary", "--", "sh", "-c");
        assertThat(command.get(command.size() - 1)).as("the app's own command ends it").isEqualTo("-c");
        assertThat(strings(main.path("args"))).as("its args follow, as before").containsExactly("echo $GREETING");
        assertThat(command).as("a pod that runs forever needs no exit file").doesNotContain("--exit-file");
        assertThat(main.path("volumeMounts").toString()).contains("\"name\":\"cairn-exec\",\"mountPath\":\"/var/run/cairn/exec\"")
                .contains("\"name\":\"cairn-config\"");
        JsonNode helper = spec.path("containers").get(1);
        assertThat(helper.has("command")).as("a container not named is left as it is").isFalse();
        assertThat(helper.path("volumeMounts").toString()).doesNotContain("cairn-exec").contains("cairn-config").contains("/data");
        assertThat(spec.path("volumes").toString()).contains("\"name\":\"cairn-exec\",\"emptyDir\":{}");
        assertThat(spec.path("containers").get(2).path("env").toString()).doesNotContain("CAIRN_EXIT_WITH");
    }

    @Test
    void aJobsSidecarContainerEndsWithItsWrappedAppWhereThereAreNoNativeSidecars() throws Exception {
        for (String policy : new String[] {"Never", "OnFailure"}) {
            JsonNode spec = patched(review(EXEC_ANNOTATIONS, jobSpec(policy))).path("spec");
            assertThat(strings(spec.path("containers").get(0).path("command")))
                    .containsSubsequence("--exit-file", "/var/run/cairn/exec/main.exit", "--", "sh");
            JsonNode sidecar = spec.path("containers").get(2);
            assertThat(sidecar.path("name").asText()).isEqualTo("cairn-sidecar");
            assertThat(sidecar.path("env").toString()).contains("{\"name\":\"CAIRN_EXIT_WITH\",\"value\":\"/var/run/cairn/exec/main.exit\"}");
            assertThat(sidecar.path("env").toString().contains("CAIRN_EXIT_WITH_SUCCESS")).as(policy).isEqualTo(policy.equals("OnFailure"));
            assertThat(sidecar.path("volumeMounts").toString()).contains("\"name\":\"cairn-exec\",\"mountPath\":\"/var/run/cairn/exec\",\"readOnly\":true");
        }
        // A native sidecar is stopped by the kubelet once the app has ended: no exit file.
        JsonNode modern = apply(new SidecarInjector("sidecar:test", (name, ns) -> null, true), review(EXEC_ANNOTATIONS, jobSpec("Never")));
        assertThat(strings(modern.path("spec").path("containers").get(0).path("command"))).doesNotContain("--exit-file");
    }

    @Test
    void aJobWhoseSidecarContainerCannotEndIsWarnedAbout() throws Exception {
        String annotations = "{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"config\",\"cairn.io/watch\":\"/config/job\"}";
        JsonNode resp = respond(review(annotations, jobSpec("Never")));
        assertThat(resp.path("allowed").asBoolean()).isTrue();
        assertThat(resp.path("warnings").get(0).asText()).contains("restartPolicy is Never").contains("will not complete")
                .contains("cairn.io/exec").contains("shareProcessNamespace: true");
        assertThat(respond(review(annotations, jobSpec("Always"))).has("warnings")).isFalse();
        // Under OnFailure a shared process namespace does not help: the sidecar cannot see a failed app's exit code.
        JsonNode onFailure = respond(review(annotations, sharing(jobSpec("OnFailure"))));
        assertThat(onFailure.path("warnings").get(0).asText()).contains("restartPolicy is OnFailure").contains("cairn.io/exec")
                .doesNotContain("shareProcessNamespace");
    }

    private static String sharing(String spec) {
        return spec.replaceFirst("\\{", "{\"shareProcessNamespace\":true,");
    }

    @Test
    void underNeverASidecarContainerInAPodSharingItsProcessesEndsWithTheApps() throws Exception {
        String annotations = "{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"config\",\"cairn.io/watch\":\"/config/job\"}";
        for (String a : new String[] {annotations, EXEC_ANNOTATIONS}) {
            JsonNode resp = respond(review(a, sharing(jobSpec("Never"))));
            assertThat(resp.has("warnings")).as(a).isFalse();
            JsonNode spec = patched(review(a, sharing(jobSpec("Never")))).path("spec");
            JsonNode sidecar = spec.path("containers").get(2);
            assertThat(sidecar.path("name").asText()).isEqualTo("cairn-sidecar");
            assertThat(sidecar.path("env").toString()).contains("{\"name\":\"CAIRN_EXIT_WITH_APPS\",\"value\":\"true\"}")
                    .doesNotContain("CAIRN_EXIT_WITH\"");
            // It comes after the app containers, which the kubelet starts first: an app it does not see has ended.
            assertThat(spec.path("containers").size()).as("the sidecar is the last container").isEqualTo(3);
            assertThat(sidecar.path("env").toString()).contains("{\"name\":\"CAIRN_EXIT_WITH_APPS_UNSEEN\",\"value\":\"5s\"}");
            assertThat(strings(spec.path("containers").get(0).path("command"))).as("processes, not exit files").doesNotContain("--exit-file");
        }
        // Not for a native sidecar (the kubelet stops it), nor for a pod that runs forever.
        JsonNode modern = apply(new SidecarInjector("sidecar:test", (name, ns) -> null, true), review(annotations, sharing(jobSpec("Never"))));
        assertThat(modern.path("spec").toString()).doesNotContain("CAIRN_EXIT_WITH_APPS");
        assertThat(patched(review(annotations, sharing(jobSpec("Always")))).path("spec").toString()).doesNotContain("CAIRN_EXIT_WITH_APPS");
    }

    @Test
    void aSignalActionGetsTheAppsPidFileVolumeAndNeedsASharedProcessNamespace() throws Exception {
        String annotations = "{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"config\",\"cairn.io/watch\":\"/config/web\","
                + "\"cairn.io/on-change\":\"signal:HUP:/var/run/web/app.pid\"}";
        String spec = "{\"shareProcessNamespace\":true,\"volumes\":[{\"name\":\"run\",\"emptyDir\":{}}],"
                + "\"containers\":[{\"name\":\"web\",\"image\":\"nginx\",\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/var\"},"
                + "{\"name\":\"run\",\"mountPath\":\"/var/run/web/\",\"subPath\":\"web\"}]}]}";
        JsonNode pod = patched(review(annotations, spec));
        JsonNode sidecar = pod.path("spec").path("containers").get(1);
        assertThat(sidecar.path("name").asText()).isEqualTo("cairn-sidecar");
        // The deepest mount that holds the file, at the app's path, read-only, with its subPath.
        assertThat(sidecar.path("volumeMounts").toString())
                .contains("{\"name\":\"run\",\"mountPath\":\"/var/run/web/\",\"readOnly\":true,\"subPath\":\"web\"}")
                .doesNotContain("\"data\"");
        assertThat(sidecar.path("env").toString()).contains("signal:HUP:/var/run/web/app.pid");
        assertThat(pod.path("spec").path("initContainers").get(0).path("volumeMounts").toString()).doesNotContain("\"run\"");

        String[][] refused = {
            {spec.replace("\"shareProcessNamespace\":true,", ""), "give the pod shareProcessNamespace: true"},
            {spec.replace("\"mountPath\":\"/var\"", "\"mountPath\":\"/data\"").replace("/var/run/web/", "/srv/run"),
                "reads the pid from /var/run/web/app.pid, which is on no volume an app container mounts"},
            // A directory whose name only starts like the file's is not its directory.
            {spec.replace("\"mountPath\":\"/var\"", "\"mountPath\":\"/tmp\"").replace("/var/run/web/", "/var/run/we"), "on no volume"},
        };
        for (String[] c : refused) {
            JsonNode resp = respond(review(annotations, c[0]));
            assertThat(resp.path("allowed").asBoolean()).as(c[0]).isFalse();
            assertThat(resp.path("status").path("message").asText()).as(c[0]).contains(c[1]);
        }
        String own = annotations.replace("/var/run/web/app.pid", "/var/run/cairn/app/app.pid");
        assertThat(respond(review(own, spec.replace("/var/run/web/", "/var/run/cairn/app"))).path("status").path("message").asText())
                .contains("the sidecar's own");
        // hostPID sees every process too.
        assertThat(respond(review(annotations, spec.replace("\"shareProcessNamespace\":true", "\"hostPID\":true"))).path("allowed").asBoolean())
                .isTrue();
    }

    @Test
    void badExecAnnotationsAreRefused() throws Exception {
        String[][] cases = {
            {EXEC_ANNOTATIONS.replace("\"main\"", "\"web\""), "cairn.io/exec names \"web\", which is not one of the pod's containers [main, helper]"},
            {EXEC_ANNOTATIONS.replace("\"main\"", "\"helper\""), "cairn.io/exec: container helper has no command in the pod spec"},
            {EXEC_ANNOTATIONS.replace("signal:HUP", "reboot"), "cairn.io/exec-on-change \"reboot\" must be restart, none or signal:NAME"},
        };
        for (String[] c : cases) {
            JsonNode resp = respond(review(c[0], jobSpec("Never")));
            assertThat(resp.path("allowed").asBoolean()).as(c[0]).isFalse();
            assertThat(resp.path("status").path("message").asText()).as(c[0]).contains(c[1]);
        }
    }

    @Test
    void zeroWaitAndDelayMeanNoneAsTheFlagsDo() throws Exception {
        JsonNode pod = patched(review("{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\","
                + "\"cairn.io/wait\":\"0s\",\"cairn.io/terminate-delay\":\"0\"}"));
        String env = pod.path("spec").path("containers").get(1).path("env").toString();
        assertThat(env).contains("{\"name\":\"CAIRN_WAIT\",\"value\":\"0s\"}").contains("{\"name\":\"CAIRN_TERMINATE_DELAY\",\"value\":\"0\"}");
    }

    @Test
    void theSidecarRequestsTheMemoryItsFootprintTargets() throws Exception {
        JsonNode spec = patched(review("{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\"}")).path("spec");
        for (JsonNode c : java.util.List.of(spec.path("initContainers").get(0), spec.path("containers").get(1))) {
            assertThat(c.path("resources").path("requests").path("memory").asText()).as(c.path("name").asText()).isEqualTo("48Mi");
            assertThat(c.path("resources").path("limits").path("memory").asText()).isEqualTo("128Mi");
        }
    }

    @Test
    void theWrappersJvmFlagsAreTheSidecarImages() throws Exception {
        String dockerfile = Dockerfiles.text("sidecar");
        java.util.List<String> words = Dockerfiles.entrypoint("sidecar");
        // The image's own JVM also maps the archive its build dumps; a wrapper's copy of the jar sits elsewhere.
        java.util.List<String> flags = new java.util.ArrayList<>(SidecarInjector.SIDECAR_JVM_FLAGS);
        flags.add("-XX:SharedArchiveFile=/app/cairn-sidecar.jsa");
        assertThat(words.subList(1, words.indexOf("-jar"))).isEqualTo(flags);
        assertThat(dockerfile).contains("-Xshare:dump -XX:SharedClassListFile=/app/cairn-sidecar.classlist -XX:SharedArchiveFile=/app/cairn-sidecar.jsa");
    }

    @Test
    void badAnnotationsAreRefusedWithAMessage() throws Exception {
        String[][] cases = {
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/watch\":\"/config/web\"}", "cairn.io/cluster is required"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"config\"}", "cairn.io/watch is required"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"Bad_Name\",\"cairn.io/watch\":\"/c\"}", "must be NAME"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"config\"}", "not a Cairn path"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/render\":\"xml\"}", "files, env"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/mount-path\":\"rel\"}", "absolute"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/on-change\":\"reboot\"}", "on-change"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/tls-secret\":\"My_Secret\"}", "tls-secret"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/on-terminate\":\"kill\"}",
                "cairn.io/on-terminate \"kill\" must be mark or remove"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/terminate-delay\":\"soon\"}",
                "cairn.io/terminate-delay \"soon\""},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/terminate-delay\":\"40s\"}",
                "shorter than the pod's terminationGracePeriodSeconds (30 s)"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/readiness-url\":\"/ready\"}",
                "cairn.io/readiness-url \"/ready\" must be an http URL"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/wait\":\"2s:soon\"}",
                "cairn.io/wait \"2s:soon\" must be MIN or MIN:MAX"},
            {"{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/c\",\"cairn.io/reload-on\":\"../x\"}",
                "cairn.io/reload-on has \"../x\""},
        };
        for (String[] c : cases) {
            JsonNode resp = respond(review(c[0]));
            assertThat(resp.path("allowed").asBoolean()).as(c[0]).isFalse();
            assertThat(resp.path("status").path("message").asText()).as(c[0]).contains(c[1]);
        }
        assertThat(JSON.readTree(injector.review("not json")).path("response").path("allowed").asBoolean()).isFalse();
    }

    @Test
    void aClusterThatEnforcesItsPolicyGivesTheSidecarsAProjectedTokenForItsAudience() throws Exception {
        SidecarInjector authAware = new SidecarInjector("sidecar:test",
                (name, ns) -> name.equals("config") && ns.equals("shop") ? "cairn-prod" : null, false);
        String annotations = "{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"config\",\"cairn.io/watch\":\"/config/shop\"}";
        JsonNode resp = JSON.readTree(authAware.review(review(annotations))).path("response");
        JsonNode pod = JsonPatch.apply(JSON.readTree(new String(Base64.getDecoder().decode(resp.path("patch").asText()),
                StandardCharsets.UTF_8)), JSON.readTree(review(annotations)).path("request").path("object"));
        JsonNode volume = null;
        for (JsonNode v : pod.path("spec").path("volumes")) {
            if (v.path("name").asText().equals("cairn-token")) {
                volume = v;
            }
        }
        assertThat(volume).as("the token volume").isNotNull();
        JsonNode source = volume.path("projected").path("sources").get(0).path("serviceAccountToken");
        assertThat(source.path("audience").asText()).isEqualTo("cairn-prod");
        assertThat(source.path("expirationSeconds").asInt()).isEqualTo(3600);
        for (JsonNode c : java.util.List.of(pod.path("spec").path("initContainers").get(0), pod.path("spec").path("containers").get(1))) {
            assertThat(c.path("env").toString()).contains("{\"name\":\"CAIRN_TOKEN_FILE\",\"value\":\"/var/run/cairn/token/token\"}");
            assertThat(c.path("volumeMounts").toString()).contains("\"name\":\"cairn-token\"");
        }
        // The annotation overrides: none for this pod; or one though the operator does not know the cluster enforces.
        String off = annotations.replace("}", ",\"cairn.io/auth-token\":\"false\"}");
        assertThat(new String(Base64.getDecoder().decode(JSON.readTree(authAware.review(review(off))).path("response").path("patch")
                .asText()), StandardCharsets.UTF_8)).doesNotContain("cairn-token");
        String on = "{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"other\",\"cairn.io/watch\":\"/config/shop\","
                + "\"cairn.io/auth-token\":\"true\"}";
        assertThat(new String(Base64.getDecoder().decode(JSON.readTree(authAware.review(review(on))).path("response").path("patch")
                .asText()), StandardCharsets.UTF_8)).contains("\"audience\":\"cairn\"");
        String noCluster = "{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"other\",\"cairn.io/watch\":\"/config/shop\"}";
        assertThat(authAware.review(review(noCluster))).doesNotContain("cairn-token");
        JsonNode bad = JSON.readTree(authAware.review(review(annotations.replace("}", ",\"cairn.io/auth-token\":\"yes\"}"))))
                .path("response");
        assertThat(bad.path("allowed").asBoolean()).isFalse();
        assertThat(bad.path("status").path("message").asText()).isEqualTo("cairn.io/auth-token \"yes\" must be auto, true or false");
    }
}
