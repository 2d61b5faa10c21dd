package io.cairn.sidecar;

import static io.cairn.sidecar.SidecarTest.eventually;
import static io.cairn.sidecar.SidecarTest.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.Version;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import io.cairn.node.testing.TestTokens;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The sidecar under a policy, as the webhook runs it: it shows its pod's service-account token
 * (a file, as the projected volume mounts it), reads its namespace's config, writes its own
 * presence, and is refused, at once and with the reason, another namespace's config.
 */
class SidecarAuthTest {
    @TempDir
    Path dir;

    @Test
    void aSidecarWithItsPodsTokenReadsItsConfigAndWritesOnlyItsPresence() throws Exception {
        TestTokens issuer = TestTokens.create(dir);
        Path tokens = dir.resolve("tokens.csv");
        Files.writeString(tokens, "admin-tok,root,0,\"cairn:admins\"\n");
        Path podToken = dir.resolve("token");
        Files.writeString(podToken, issuer.token("shop", "web", "web-0", "cairn", 3_600_000));
        try (TestNode node = TestNode.start(StoreConfig.defaults(), null, new AuthConfig(true, List.of(), tokens,
                issuer.jwksFile().toString(), null, null, TestTokens.ISSUER, "cairn"));
                CairnClient admin = CairnClient.builder().endpoints(node.endpoint()).token(() -> "admin-tok").build()) {
            admin.set("/ctl/acl/rules/config", "{\"subject\":\"group:system:serviceaccounts\",\"path\":\"/config/{namespace}/**\","
                    + "\"rights\":[\"read\",\"watch\"]}", 0);
            admin.set("/ctl/acl/rules/presence", "{\"subject\":\"group:system:serviceaccounts\",\"path\":\"/presence/{namespace}/*/{pod}\","
                    + "\"rights\":[\"write\"]}", 0);
            admin.set("/config/shop/web/greeting", "hello", -1);
            admin.set("/config/bank/api/key", "s3cret", -1);

            int code = new CommandLine(new SidecarMain()).execute("--mode", "init", "--endpoints", node.endpoint(),
                    "--token-file", podToken.toString(), "--watch", "/config/shop/web", "--out", dir.resolve("init").toString());
            assertThat(code).isZero();
            assertThat(read(dir.resolve("init/greeting"))).isEqualTo("hello");

            // Refused at once (not after the init timeout), with the missing right named.
            PrintStream stderr = System.err;
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            long t0 = System.nanoTime();
            try {
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                code = new CommandLine(new SidecarMain()).execute("--mode", "init", "--endpoints", node.endpoint(),
                        "--token-file", podToken.toString(), "--watch", "/config/bank/api", "--out", dir.resolve("snoop").toString());
            } finally {
                System.setErr(stderr);
            }
            assertThat(code).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("cairn-sidecar: init failed: the store's policy refuses this sidecar: "
                    + "identity system:serviceaccount:shop:web lacks the read right on /config/bank/api");
            assertThat(System.nanoTime() - t0).as("refused without waiting out --init-timeout").isLessThan(30_000_000_000L);
            assertThat(dir.resolve("snoop/key")).doesNotExist();

            // Run mode: presence as the pod, config kept current.
            try (CairnClient asPod = CairnClient.builder().endpoints(node.endpoint()).tokenFile(podToken).build();
                    Sidecar s = new Sidecar(new Sidecar.Settings(asPod, List.of("/config/shop/web"), new AtomicDirectory(dir.resolve("run")),
                            new Renderer(true, List.of(), null, java.util.Map.of()), new ChangeAction.None(),
                            new Sidecar.Identity("shop", "web", "web-0", ""), java.time.Duration.ofSeconds(10),
                            Sidecar.Lifecycle.DEFAULT, "web-0", Sidecar.RenderControl.NONE))) {
                s.start();
                eventually("presence as the pod", () -> admin.get("/presence/shop/web/web-0").value() != null);
                eventually("the first render", () -> "hello".equals(read(dir.resolve("run/greeting"))));
                admin.set("/config/shop/web/greeting", "bonjour", -1);
                eventually("a change reaches the file", () -> "bonjour".equals(read(dir.resolve("run/greeting"))));
                List<Version> history = admin.history("/presence/shop/web/web-0").items();
                assertThat(history).extracting(Version::author).contains("system:serviceaccount:shop:web");
                assertThat(admin.history("/config/shop/web/greeting").items()).extracting(Version::author).containsOnly("root");
            }
        }
    }
}
