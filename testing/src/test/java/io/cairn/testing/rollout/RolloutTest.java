package io.cairn.testing.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.cli.CairnCli;
import io.cairn.client.CairnClient;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.testing.TestCluster;
import io.cairn.sidecar.AtomicDirectory;
import io.cairn.sidecar.ChangeAction;
import io.cairn.sidecar.Renderer;
import io.cairn.sidecar.Sidecar;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * cairn rollout against a three-member cluster and three real sidecars (the sidecar's own code,
 * publishing real files, each through another member): the status follows them applying a
 * change, a stage reaches only its pods, promote and abort end it, and a sidecar that cannot
 * publish fails the rollout.
 */
class RolloutTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private TestCluster cluster;
    private CairnClient admin;
    private Path dir;
    private final List<Sidecar> sidecars = new ArrayList<>();
    private final List<CairnClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        cluster = TestCluster.start(AuthConfig.OFF);
        admin = CairnClient.connect(endpoints());
        dir = Files.createTempDirectory("cairn-rollout");
        admin.set("/config/web/color", "blue", -1);
        admin.set("/config/web/port", "8080", -1);
        for (int i = 0; i < 3; i++) {
            sidecar("web-" + i, i, List.of());
        }
        eventually("every sidecar published", () -> sidecars.stream().allMatch(Sidecar::ready));
    }

    @AfterEach
    void stop() throws IOException {
        sidecars.forEach(Sidecar::close);
        clients.forEach(CairnClient::close);
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private String endpoints() {
        return String.join(",", cluster.members().stream().map(m -> "127.0.0.1:" + m.clientAddress().getPort()).toList());
    }

    private Sidecar sidecar(String pod, int member, List<Renderer.Template> templates) throws Exception {
        return sidecar(pod, "", member, templates);
    }

    private Sidecar sidecar(String pod, String group, int member, List<Renderer.Template> templates) throws Exception {
        CairnClient c = CairnClient.connect("127.0.0.1:" + cluster.member(member).clientAddress().getPort());
        clients.add(c);
        Sidecar s = new Sidecar(new Sidecar.Settings(c, List.of("/config/web"), new AtomicDirectory(dir.resolve(pod)),
                new Renderer(true, templates, null, Map.of()), ChangeAction.parse("none"), new Sidecar.Identity("shop", "web", pod, "", group),
                Duration.ofSeconds(10)));
        s.start();
        sidecars.add(s);
        return s;
    }

    record Run(int code, String out, String err) {}

    private Run cairn(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = CairnCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("CAIRN_ENDPOINTS", endpoints()));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private JsonNode status(String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("rollout", "status", "/config/web", "-o", "json"));
        args.addAll(List.of(more));
        Run r = cairn(args.toArray(String[]::new));
        assertThat(r.err()).as(r.toString()).doesNotContain("USAGE");
        return JSON.readTree(r.out());
    }

    private String file(String pod, String key) {
        try {
            return Files.readString(dir.resolve(pod).resolve(key));
        } catch (IOException e) {
            return null;
        }
    }

    static void eventually(String what, BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!ok.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(end);
            Thread.sleep(20);
        }
    }

    @Test
    void theStatusFollowsTheSidecarsApplyingAChangeAndWaitGatesOnIt() throws Exception {
        eventually("every presence is up", () -> admin.walk("/presence/shop/web/*", 0).items().size() == 3);
        long changed = admin.set("/config/web/color", "green", -1);
        // --wait returns once all three sidecars published the change, and they did.
        Run wait = cairn("rollout", "status", "/config/web", "--wait", "--wait-timeout", "20s");
        assertThat(wait.code()).as(wait.toString()).isZero();
        assertThat(wait.out()).contains("3 pods at rev").contains("3 applied, 0 lagging, 0 failed").contains("shop/web/web-1");
        for (int i = 0; i < 3; i++) {
            assertThat(file("web-" + i, "color")).isEqualTo("green");
        }
        JsonNode s = status();
        assertThat(s.get("done").asBoolean()).isTrue();
        for (JsonNode p : s.get("pods")) {
            assertThat(p.get("target").asLong()).isEqualTo(changed);
            assertThat(p.get("rev").asLong()).isGreaterThanOrEqualTo(changed);
        }
        // A revision no sidecar will reach: the status says who lags, and --wait gives up with exit 1.
        long future = admin.rev().rev() + 1_000;
        JsonNode lag = status("--rev", Long.toString(future));
        assertThat(lag.get("summary").get("lagging").asInt()).isEqualTo(3);
        Run gaveUp = cairn("rollout", "status", "/config/web", "--rev", Long.toString(future), "--wait", "--wait-timeout", "300ms");
        assertThat(gaveUp.code()).isEqualTo(1);
        assertThat(gaveUp.err()).contains("not every pod applied the config under /config/web within 300ms (0 of 3 did)");
        // The same report from a member's HTTP gateway.
        HttpResponse<String> http = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + cluster.member(2).httpAddress().getPort() + "/v1/rollout/config/web")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(http.statusCode()).isEqualTo(200);
        JsonNode h = JSON.readTree(http.body());
        assertThat(h.get("summary").get("applied").asInt()).isEqualTo(3);
        assertThat(h.get("pods").get(0).get("pod").asText()).isEqualTo("web-0");
        // A prefix nobody watches has no pods; a prefix above the watched one has them all.
        assertThat(status().get("pods")).hasSize(3);
        assertThat(cairn("rollout", "status", "/config/other").out()).contains("no pod runs the config under /config/other");
        assertThat(cairn("rollout", "status", "/config", "-o", "json").out()).contains("\"applied\":3");
    }

    @Test
    void aStageReachesOnlyItsPodsUntilPromotedOrAborted() throws Exception {
        Run staged = cairn("rollout", "stage", "/config/web", "--to", "web-1", "--set", "color=red", "--set", "mode=canary");
        assertThat(staged.code()).as(staged.toString()).isZero();
        assertThat(staged.out()).startsWith("staged color, mode for web-1 (rev ");
        eventually("web-1 runs the staged values", () -> "red".equals(file("web-1", "color")) && "canary".equals(file("web-1", "mode")));
        Run wait = cairn("rollout", "status", "/config/web", "--wait", "--wait-timeout", "20s");
        assertThat(wait.code()).as(wait.toString()).isZero();
        assertThat(wait.out()).startsWith("stage: web-1 get color, mode\n").contains("ready (staged)");
        for (String other : List.of("web-0", "web-2")) {
            assertThat(file(other, "color")).as(other).isEqualTo("blue");
            assertThat(file(other, "mode")).as(other).isNull();
        }
        JsonNode s = status();
        assertThat(s.get("stage").get("pods").get(0).asText()).isEqualTo("web-1");
        assertThat(s.get("pods").get(1).get("staged").asBoolean()).isTrue();
        assertThat(s.get("pods").get(1).get("target").asLong()).isGreaterThan(s.get("pods").get(0).get("target").asLong());

        // One stage at a time; the message says which is open.
        Run second = cairn("rollout", "stage", "/config/web", "--to", "web-2", "--set", "color=black");
        assertThat(second.code()).isEqualTo(1);
        assertThat(second.err()).contains("a stage is already open under /config/web (web-1 get color, mode); promote or abort it first");

        Run promoted = cairn("rollout", "promote", "/config/web");
        assertThat(promoted.code()).as(promoted.toString()).isZero();
        assertThat(promoted.out()).startsWith("promoted color, mode to every pod (rev ");
        eventually("every pod runs the promoted values", () -> List.of("web-0", "web-1", "web-2").stream()
                .allMatch(p -> "red".equals(file(p, "color")) && "canary".equals(file(p, "mode"))));
        assertThat(admin.walk("/config/web/.pods/**", 0).items()).isEmpty();
        assertThat(admin.get("/config/web/color").text()).isEqualTo("red");
        assertThat(cairn("rollout", "promote", "/config/web").err()).contains("no stage is open under /config/web");

        // Abort: the stage's pod goes back to the shared value; a pod's lasting overlay stays.
        admin.set("/config/web/.pods/web-2/debug", "on", -1);
        assertThat(cairn("rollout", "stage", "/config/web", "--to", "web-0,web-2", "--set", "color=pink").code()).isZero();
        eventually("the stage's pods run it", () -> "pink".equals(file("web-0", "color")) && "pink".equals(file("web-2", "color")));
        assertThat(file("web-1", "color")).isEqualTo("red");
        Run aborted = cairn("rollout", "abort", "/config/web");
        assertThat(aborted.out()).startsWith("abandoned the stage of color for web-0,web-2 (rev ");
        eventually("back to the shared value", () -> "red".equals(file("web-0", "color")) && "red".equals(file("web-2", "color")));
        assertThat(file("web-2", "debug")).isEqualTo("on");

        // A stage never overwrites a pod's own value.
        Run clash = cairn("rollout", "stage", "/config/web", "--to", "web-2", "--set", "debug=off");
        assertThat(clash.code()).isEqualTo(1);
        assertThat(clash.err()).contains("already has its own value for a staged key");
        assertThat(admin.get("/config/web/.pods/web-2/debug").text()).isEqualTo("on");
    }

    @Test
    void aStageToAGroupReachesThePodsLabelledWithIt() throws Exception {
        sidecar("web-3", "canary", 1, List.of());
        sidecar("web-4", "canary", 2, List.of());
        eventually("the canaries published", () -> "blue".equals(file("web-3", "color")) && "blue".equals(file("web-4", "color")));
        Run staged = cairn("rollout", "stage", "/config/web", "--to-group", "canary", "--to", "web-0", "--set", "color=red");
        assertThat(staged.code()).as(staged.toString()).isZero();
        assertThat(staged.out()).startsWith("staged color for web-0, group canary (rev ");
        eventually("the group and web-0 run it", () -> List.of("web-0", "web-3", "web-4").stream().allMatch(p -> "red".equals(file(p, "color"))));
        assertThat(file("web-1", "color")).isEqualTo("blue");
        assertThat(admin.get("/config/web/.groups/canary/color").text()).isEqualTo("red");
        Run wait = cairn("rollout", "status", "/config/web", "--wait", "--wait-timeout", "20s", "-o", "json");
        assertThat(wait.code()).as(wait.toString()).isZero();
        JsonNode s = JSON.readTree(wait.out());
        assertThat(s.get("stage").get("groups").get(0).asText()).isEqualTo("canary");
        assertThat(s.get("pods")).hasSize(5);
        for (JsonNode p : s.get("pods")) {
            boolean inStage = List.of("web-0", "web-3", "web-4").contains(p.get("pod").asText());
            assertThat(p.get("staged").asBoolean()).as(p.toString()).isEqualTo(inStage);
        }
        assertThat(s.get("pods").get(3).get("group").asText()).isEqualTo("canary");
        assertThat(cairn("rollout", "promote", "/config/web").code()).isZero();
        eventually("every pod runs red", () -> List.of("web-0", "web-1", "web-2", "web-3", "web-4").stream()
                .allMatch(p -> "red".equals(file(p, "color"))));
        assertThat(admin.walk("/config/web/.groups/**", 0).items()).isEmpty();
    }

    @Test
    void aSidecarThatCannotPublishFailsTheRollout() throws Exception {
        // A fourth pod renders a template that needs "port": with port gone it cannot publish.
        sidecar("web-3", 0, List.of(new Renderer.Template("conf", "listen {{ tree.port }}", "app.conf")));
        eventually("web-3 published", () -> "listen 8080".equals(file("web-3", "app.conf")));
        admin.del("/config/web/port", -1);
        admin.set("/config/web/color", "purple", -1);
        Run wait = cairn("rollout", "status", "/config/web", "--wait", "--wait-timeout", "20s");
        assertThat(wait.code()).as(wait.toString()).isEqualTo(1);
        assertThat(wait.out()).contains("shop/web/web-3").contains("failed").contains("degraded: ");
        JsonNode s = status();
        assertThat(s.get("failed").asBoolean()).isTrue();
        JsonNode web3 = s.get("pods").get(3);
        assertThat(web3.get("state").asText()).isEqualTo("failed");
        assertThat(web3.get("problem").asText()).contains("conf");
        assertThat(cairn("rollout", "frob", "/config/web").err()).contains("unknown rollout action \"frob\"");
        assertThat(cairn("rollout", "stage", "/config/web", "--to", "web-1").err()).contains("usage: cairn rollout stage");
        assertThat(cairn("rollout", "status", "/config/web", "--to", "web-1").err()).contains("--to, --to-group and --set are for rollout stage");
    }
}
