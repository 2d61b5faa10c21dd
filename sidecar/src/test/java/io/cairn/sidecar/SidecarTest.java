package io.cairn.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.client.CairnClient;
import io.cairn.node.testing.TcpProxy;
import io.cairn.node.testing.TestNode;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The sidecar against a real node: files follow the config, actions fire once per change, outages heal. */
class SidecarTest {
    @TempDir
    Path dir;

    static void eventually(String what, BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("never: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Runs cairn-sidecar with {@code args}: bad usage, exit 2, and stderr names {@code expected}. */
    static void assertRefused(String expected, List<String> args) {
        StringWriter err = new StringWriter();
        CommandLine cl = SidecarMain.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.getSubcommands().get("exec").setErr(new PrintWriter(err));
        int code = cl.execute(args.toArray(String[]::new));
        assertThat(code).as("exit code of %s", args).isEqualTo(2);
        assertThat(err.toString()).as("error of %s", args).contains(expected);
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return null;
        }
    }

    private Sidecar sidecar(CairnClient client, List<Renderer.Template> templates, ChangeAction action) throws Exception {
        Renderer r = new Renderer(true, templates, "app.env", Map.of("name", "web-1"));
        return new Sidecar(new Sidecar.Settings(client, List.of("/config/web"), new AtomicDirectory(dir.resolve("out")), r,
                action, new Sidecar.Identity("prod", "web", "web-1", "10.0.0.1"), Duration.ofSeconds(2)));
    }

    @Test
    void filesFollowTheConfigAndTheActionFiresOncePerChange() throws Exception {
        Path actions = dir.resolve("actions.log");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/web/greeting", "hello", -1);
            c.set("/config/web/db/url", "postgres://a", -1);
            Sidecar s = sidecar(c, List.of(new Renderer.Template("t", "db={{ tree.db.url }}\n", "app.conf")),
                    ChangeAction.parse("exec:echo $CAIRN_REVISION >> " + actions));
            s.start();
            Path out = dir.resolve("out");
            eventually("first render", s::ready);
            assertThat(read(out.resolve("greeting"))).isEqualTo("hello");
            assertThat(read(out.resolve("app.conf"))).isEqualTo("db=postgres://a\n");
            eventually("presence registered", () -> {
                String p = c.get("/presence/prod/web/web-1").text();
                return p != null && p.contains("\"status\":\"ready\"");
            });

            long r1 = c.set("/config/web/greeting", "bonjour", -1);
            eventually("greeting updated", () -> "bonjour".equals(read(out.resolve("greeting"))));
            eventually("action ran", () -> read(actions) != null && read(actions).lines().count() == 1);
            assertThat(read(actions).strip()).isEqualTo(Long.toString(r1));
            // The change's way to the file is in the histograms (noted a moment after the files appear), and
            // the JVM's metrics are scraped with them.
            eventually("the publication is in the histograms", () -> {
                try {
                    String m = s.metrics.scrape();
                    return m.matches("(?s).*\\ncairn_sidecar_change_to_file_seconds_count [1-9].*")
                            && m.matches("(?s).*\\ncairn_sidecar_publish_duration_seconds_count [1-9].*");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(s.metrics.scrape()).contains("jvm_memory_used_bytes");

            // A revision that changes no output (the same value again) runs no action.
            long same = c.set("/config/web/greeting", "bonjour", -1);
            eventually("no-op revision applied", () -> s.applied() >= same);
            long r3 = c.set("/config/web/db/url", "postgres://b", -1);
            eventually("app.conf updated", () -> "db=postgres://b\n".equals(read(out.resolve("app.conf"))));
            eventually("second action", () -> read(actions).lines().count() == 2);
            assertThat(read(actions).lines()).containsExactly(Long.toString(r1), Long.toString(r3));
            s.close();
            eventually("presence removed on a clean exit", () -> !c.get("/presence/prod/web/web-1").exists());
        }
    }

    @Test
    void aBadRenderKeepsThePreviousFilesAndSaysSo() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/web/port", "8080", -1);
            Sidecar s = sidecar(c, List.of(new Renderer.Template("t", "port={{ config[\"port\"] }}\n", "app.conf")), ChangeAction.parse("none"));
            s.start();
            Path out = dir.resolve("out");
            eventually("first render", s::ready);
            // Without the key the template fails: the old file stays, health and presence say degraded.
            c.del("/config/web/port", -1);
            c.set("/config/web/other", "x", -1);
            eventually("error reported", () -> s.lastError() != null && s.lastError().contains("template"));
            assertThat(read(out.resolve("app.conf"))).isEqualTo("port=8080\n");
            eventually("the other outputs still advance", () -> "x".equals(read(out.resolve("other"))));
            assertThat(s.health()).contains("degraded");
            eventually("presence says degraded, and why", () -> {
                String p = c.get("/presence/prod/web/web-1").text();
                return p != null && p.contains("\"status\":\"degraded\"") && p.contains("template t");
            });
            assertThat(s.metrics.scrape()).containsPattern("cairn_sidecar_render_errors_total [1-9]");
            // Fixed config renders again.
            c.set("/config/web/port", "9090", -1);
            // The files are published a moment before the error is cleared: wait for both.
            eventually("recovered", () -> "port=9090\n".equals(read(out.resolve("app.conf"))) && s.lastError() == null);
            assertThat(s.health()).doesNotContain("degraded");
            s.close();
        }
    }

    @Test
    void aKeyThatCannotBeAFileNeverStopsDelivery() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/web/greeting", "hello", -1);
            Sidecar s = sidecar(c, List.of(), ChangeAction.parse("none"));
            s.start();
            Path out = dir.resolve("out");
            eventually("first render", s::ready);
            // A name the store takes but the output cannot have (..data is the atomic swap's).
            c.set("/config/web/..data", "x", -1);
            long later = c.set("/config/web/greeting", "bonjour", -1);
            // The files appear at the swap, a moment before the applied revision is noted: wait for both.
            eventually("later revisions are still published", () -> "bonjour".equals(read(out.resolve("greeting")))
                    && s.applied() >= later);
            assertThat(s.health()).contains("degraded").contains("..data");
            assertThat(s.metrics.scrape()).contains("cairn_sidecar_render_problems 1.0");
            eventually("presence has the published rev and says what was left out", () -> {
                String p = c.get("/presence/prod/web/web-1").text();
                return p != null && p.contains("\"rev\":" + s.applied()) && p.contains("\"status\":\"degraded\"")
                        && p.contains("..data");
            });
            c.del("/config/web/..data", -1);
            eventually("healthy again", () -> s.lastError() == null);
            s.close();
        }
    }

    @Test
    void initModeFailsWhenATemplateCannotRender() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/web/greeting", "hi", -1);
            Path tpl = dir.resolve("app.conf.tpl");
            Files.writeString(tpl, "port={{ config[\"port\"] }}\n");
            StringWriter err = new StringWriter();
            CommandLine cl = new CommandLine(new SidecarMain());
            cl.setErr(new PrintWriter(err));
            PrintStream was = System.err;
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            int code;
            try {
                code = cl.execute("--mode", "init", "--endpoints", node.endpoint(), "--watch", "/config/web",
                        "--out", dir.resolve("init").toString(), "--template", tpl + ":app.conf");
            } finally {
                System.setErr(was);
            }
            assertThat(code).as("an init container must not let the app start without its config").isEqualTo(1);
            assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("init failed").contains("app.conf");
        }
    }

    @Test
    void anOutageKeepsTheFilesAndRecoveryMissesNoUpdate() throws Exception {
        try (TestNode node = TestNode.start(); TcpProxy proxy = new TcpProxy(node.clientAddress());
                CairnClient direct = CairnClient.connect(node.endpoint());
                CairnClient viaProxy = CairnClient.builder().endpoints(proxy.endpoint()).requestTimeout(Duration.ofSeconds(1))
                        .connectTimeout(Duration.ofMillis(300)).build()) {
            direct.set("/config/web/v", "1", -1);
            Sidecar s = sidecar(viaProxy, List.of(), ChangeAction.parse("none"));
            s.start();
            Path out = dir.resolve("out");
            eventually("first render", s::ready);
            proxy.refuse(true);
            proxy.cutAll();
            direct.set("/config/web/v", "2", -1);
            direct.set("/config/web/w", "new", -1);
            Thread.sleep(1500);
            assertThat(read(out.resolve("v"))).as("the last good file is still served").isEqualTo("1");
            proxy.refuse(false);
            eventually("caught up after the outage", () -> "2".equals(read(out.resolve("v"))) && "new".equals(read(out.resolve("w"))));
            s.close();
        }
    }

    @Test
    void initModeFailsClearlyWhenNoStoreAnswers() throws Exception {
        int dead;
        try (ServerSocket sock = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = sock.getLocalPort();
        }
        try (CairnClient c = CairnClient.builder().endpoints("127.0.0.1:" + dead).connectTimeout(Duration.ofMillis(200)).build()) {
            Sidecar s = sidecar(c, List.of(), ChangeAction.parse("none"));
            assertThatThrownBy(() -> s.renderOnce(Duration.ofMillis(1500))).hasMessageContaining("no store answered within 1500 ms");
        }
        int code = new CommandLine(new SidecarMain()).execute("--mode", "init", "--endpoints", "127.0.0.1:" + dead,
                "--watch", "/config/web", "--out", dir.resolve("init").toString(), "--init-timeout", "1s");
        assertThat(code).isEqualTo(1);
    }

    @Test
    void aBusyHealthPortIsOneLineNamingTheFlag() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                TestNode node = TestNode.start()) {
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            java.io.PrintStream before = System.err;
            int code;
            try {
                System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
                CommandLine cl = new CommandLine(new SidecarMain());
                cl.setErr(new java.io.PrintWriter(System.err, true));
                code = cl.execute("--endpoints", node.endpoint(), "--watch", "/config/web", "--out", dir.resolve("busy").toString(),
                        "--app", "web", "--pod", "web-1", "--health-addr", "127.0.0.1:" + busy.getLocalPort());
            } finally {
                System.setErr(before);
            }
            // The member's own log lines share stderr here; the sidecar's is one line, no stack trace.
            java.util.List<String> lines = err.toString(java.nio.charset.StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.contains("Replica")).toList();
            assertThat(code).isEqualTo(1);
            assertThat(lines).containsExactly("cairn-sidecar: cannot listen on 127.0.0.1:" + busy.getLocalPort()
                    + " (--health-addr): Address already in use");
        }
    }

    @Test
    void initModeRendersOnceAndExits() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/web/greeting", "hi", -1);
            int code = new CommandLine(new SidecarMain()).execute("--mode", "init", "--endpoints", node.endpoint(),
                    "--watch", "/config/web", "--out", dir.resolve("init").toString());
            assertThat(code).isZero();
            assertThat(read(dir.resolve("init/greeting"))).isEqualTo("hi");
        }
    }

    @Test
    void initModeOverTlsWithAClientCertificate() throws Exception {
        io.cairn.node.testing.TestCerts ca = io.cairn.node.testing.TestCerts.newCa("sidecar-test-ca");
        java.nio.file.Path[] pair = ca.leaf("sidecar", null, "clientAuth");
        try (TestNode node = TestNode.start(io.cairn.node.store.StoreConfig.defaults(),
                new io.cairn.node.NodeConfig.Tls(ca.member("member"), true));
                CairnClient c = CairnClient.builder().endpoints(node.endpoint()).tls(ca.client("writer")).build()) {
            c.set("/config/tls/greeting", "secret hi", -1);
            int code = new CommandLine(new SidecarMain()).execute("--mode", "init", "--endpoints", node.endpoint(),
                    "--cacert", ca.caFile().toString(), "--cert", pair[0].toString(), "--key", pair[1].toString(),
                    "--watch", "/config/tls", "--out", dir.resolve("tls").toString());
            assertThat(code).isZero();
            assertThat(read(dir.resolve("tls/greeting"))).isEqualTo("secret hi");
        }
    }

    @Test
    void everyFlagIsValidated() {
        String[][] bad = {
            {"--mode", "sometimes", "--watch", "/c", "--out", "/tmp/x"},
            {"--watch", "not-a-path", "--out", "/tmp/x", "--app", "a", "--pod", "p"},
            {"--watch", "/c", "--app", "a", "--pod", "p"},
            {"--watch", "/c", "--out", "/tmp/x", "--pod", "p", "--app", ""},
            {"--watch", "/c", "--out", "/tmp/x", "--app", "a", "--pod", "p", "--on-change", "bogus"},
            {"--watch", "/c", "--out", "/tmp/x", "--app", "a", "--pod", "p", "--on-change", "signal:HUP"},
            {"--watch", "/c", "--out", "/tmp/x", "--app", "a", "--pod", "p", "--template", "/no/such/file:out"},
            {"--watch", "/c", "--out", "/tmp/x", "--app", "a/b", "--pod", "p"},
            {"--watch", "/c", "--out", "/tmp/x", "--app", "a", "--pod", "p", "--ttl", "soon"},
            {"--watch", "/c", "--out", "/tmp/x", "--app", "a", "--pod", "p", "--env-file", "../escape"},
            {"--watch", "/c", "--out", "/tmp/x", "--app", "a", "--pod", "p", "--cacert", "/no/such/ca.pem"},
            {"--watch", "/c", "--out", "/tmp/x", "--app", "a", "--pod", "p", "--cert", "/etc/hostname"},
        };
        for (String[] args : bad) {
            java.io.StringWriter err = new java.io.StringWriter();
            CommandLine cl = new CommandLine(new SidecarMain());
            cl.setErr(new java.io.PrintWriter(err));
            assertThat(cl.execute(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", args)).isNotBlank();
        }
    }
}
