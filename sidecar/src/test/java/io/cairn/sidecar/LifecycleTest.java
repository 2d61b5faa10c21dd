package io.cairn.sidecar;

import static io.cairn.sidecar.SidecarTest.eventually;
import static io.cairn.sidecar.SidecarTest.read;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Event;
import io.cairn.client.Watch;
import io.cairn.client.WatchListener;
import io.cairn.node.testing.TcpProxy;
import io.cairn.node.testing.TestNode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The presence follows the pod: terminating before it goes, and the app's readiness. */
class LifecycleTest {
    private static final String PRESENCE = "/presence/prod/web/web-1";

    @TempDir
    Path dir;

    /** Every change under /presence, in order, as watchers see it. */
    private static final class PresenceLog implements WatchListener, AutoCloseable {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final List<CairnException> errors = new CopyOnWriteArrayList<>();
        final Watch watch;

        PresenceLog(CairnClient c) {
            watch = c.watch("/presence/**", c.rev().rev() + 1, this);
        }

        @Override
        public void onEvent(Event e) {
            events.add(e);
        }

        @Override
        public void onError(CairnException e) {
            errors.add(e);
        }

        /** What the changes said, the status of a set or "deleted", each run of one status once. */
        List<String> statuses() {
            List<String> out = new ArrayList<>();
            for (Event e : events) {
                String status = e.deleted() ? "deleted" : e.text().replaceAll(".*\"status\":\"([a-z-]+)\".*", "$1");
                if (out.isEmpty() || !out.get(out.size() - 1).equals(status)) {
                    out.add(status);
                }
            }
            return out;
        }

        boolean deleted() {
            return events.stream().anyMatch(Event::deleted);
        }

        @Override
        public void close() {
            watch.close();
            assertThat(errors).as("the presence watch failed").isEmpty();
        }
    }

    private static String presence(CairnClient c) {
        String p = c.get(PRESENCE).text();
        return p == null ? "" : p;
    }

    private Sidecar sidecar(CairnClient c, Sidecar.Lifecycle lifecycle) throws Exception {
        Renderer r = new Renderer(true, List.of(), null, Map.of());
        return new Sidecar(new Sidecar.Settings(c, List.of("/config/web"), new AtomicDirectory(dir.resolve("out")), r,
                new ChangeAction.None(), new Sidecar.Identity("prod", "web", "web-1", ""), Duration.ofSeconds(10), lifecycle,
                "web-1", Sidecar.RenderControl.NONE));
    }

    @Test
    void onTerminationThePresenceSaysTerminatingFirstTheFilesStayCurrentThenItGoes() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint()); PresenceLog log = new PresenceLog(c)) {
            c.set("/config/web/greeting", "hello", -1);
            Sidecar s = sidecar(c, new Sidecar.Lifecycle(false, Duration.ofSeconds(3), null, Duration.ofSeconds(2)));
            s.start();
            eventually("ready in the presence", () -> log.statuses().contains("ready"));
            Thread terminating = new Thread(s::terminate);
            terminating.start();
            eventually("marked terminating", () -> log.statuses().contains("terminating"));
            // Still rendering during the delay: the app may read its config while it drains.
            long rev = c.set("/config/web/greeting", "bye", -1);
            eventually("the file followed during the delay", () -> "bye".equals(read(dir.resolve("out/greeting"))));
            terminating.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(terminating.isAlive()).isFalse();
            eventually("the presence went", log::deleted);
            assertThat(log.statuses()).containsExactly("ready", "terminating", "deleted");
            Event gone = log.events.get(log.events.size() - 1);
            assertThat(gone.path()).isEqualTo(PRESENCE);
            assertThat(gone.rev()).as("deleted after the config change it kept publishing").isGreaterThan(rev);
            assertThat(c.get(PRESENCE).value()).isNull();
        }
    }

    @Test
    void withRemoveThePresenceGoesAtOnceWithoutATerminatingState() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint()); PresenceLog log = new PresenceLog(c)) {
            c.set("/config/web/greeting", "hello", -1);
            Sidecar s = sidecar(c, new Sidecar.Lifecycle(true, Duration.ZERO, null, Duration.ofSeconds(2)));
            s.start();
            eventually("ready in the presence", () -> log.statuses().contains("ready"));
            s.terminate();
            eventually("the presence went", log::deleted);
            assertThat(log.statuses()).containsExactly("ready", "deleted");
        }
    }

    @Test
    void thePresenceSaysNotReadyWhileTheAppsProbeFails() throws Exception {
        AtomicInteger answer = new AtomicInteger(503);
        HttpServer app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        app.createContext("/ready", ex -> {
            ex.sendResponseHeaders(answer.get(), -1);
            ex.close();
        });
        app.start();
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint()); PresenceLog log = new PresenceLog(c)) {
            c.set("/config/web/greeting", "hello", -1);
            URI probe = URI.create("http://127.0.0.1:" + app.getAddress().getPort() + "/ready");
            Sidecar s = sidecar(c, new Sidecar.Lifecycle(false, Duration.ZERO, probe, Duration.ofMillis(50)));
            s.start();
            try {
                eventually("not ready while the app answers 503", () -> presence(c).contains("\"status\":\"not-ready\"")
                        && presence(c).contains("\"app_ready\":false") && presence(c).contains("answered 503"));
                answer.set(200);
                eventually("ready once the app is", () -> log.statuses().contains("ready"));
                assertThat(presence(c)).contains("\"app_ready\":true").doesNotContain("app_problem");
                answer.set(500);
                eventually("not ready again", () -> log.statuses().lastIndexOf("not-ready") > log.statuses().indexOf("ready"));
            } finally {
                s.close();
            }
        } finally {
            app.stop(0);
        }
    }

    @Test
    void aRealSigtermMarksThePresenceTerminatingBeforeItGoes() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint()); PresenceLog log = new PresenceLog(c)) {
            c.set("/config/web/greeting", "hello", -1);
            Process p = sidecarProcess(node.endpoint(), "web-1");
            try {
                eventually("ready in the presence", () -> log.statuses().contains("ready"));
                p.destroy(); // SIGTERM
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as("a clean end: exit 0, not 143").isZero();
                eventually("the presence went", log::deleted);
                assertThat(log.statuses()).containsExactly("ready", "terminating", "deleted");
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void aRealSigtermEndsTheSidecarWhenTheStoreHasStoppedAnswering() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint()); PresenceLog log = new PresenceLog(c);
             TcpProxy proxy = new TcpProxy(node.clientAddress())) {
            c.set("/config/web/greeting", "hello", -1);
            Process p = sidecarProcess(proxy.endpoint(), "web-2");
            try {
                eventually("ready in the presence", () -> log.statuses().contains("ready"));
                proxy.silent(true); // connections stay open, nothing answers: a hung store, not a refused one
                long t0 = System.nanoTime();
                p.destroy(); // SIGTERM
                assertThat(p.waitFor(40, TimeUnit.SECONDS)).as("the sidecar ends on its own").isTrue();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertThat(p.exitValue()).isZero();
                assertThat(ms).as("within the end's bound, well inside a 30 s grace period")
                        .isLessThan(SidecarMain.END_TIMEOUT.toMillis() + 200 + 5_000);
                assertThat(Files.readString(dir.resolve("sidecar.log"))).contains("terminating: the presence was not updated within 5 s");
            } finally {
                p.destroyForcibly();
            }
        }
    }

    private Process sidecarProcess(String endpoint, String pod) throws java.io.IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx64m", "-XX:+UseSerialGC",
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener", "-cp", System.getProperty("java.class.path"),
                "io.cairn.sidecar.SidecarMain", "--endpoints", endpoint, "--watch", "/config/web", "--out",
                dir.resolve("proc").toString(), "--namespace", "prod", "--app", "web", "--pod", pod, "--health-addr",
                "127.0.0.1:0", "--terminate-delay", "200ms")
                .redirectErrorStream(true).redirectOutput(dir.resolve("sidecar.log").toFile()).start();
    }

    @Test
    void badLifecycleFlagsAreRefusedClearly() {
        String[][] cases = {
            {"--on-terminate must be mark or remove", "--on-terminate", "kill"},
            {"--readiness-url must be an http URL", "--readiness-url", "ftp://app/ready"},
            {"--readiness-url must be an http URL", "--readiness-url", "not a url"},
            {"--terminate-delay", "--terminate-delay", "soon"},
            {"--readiness-every", "--readiness-every", "0s"},
        };
        for (String[] c : cases) {
            SidecarTest.assertRefused(c[0], List.of("--watch", "/config/web", "--out", dir.resolve("o").toString(), "--app", "web",
                    "--pod", "web-1", "--endpoints", "127.0.0.1:1", c[1], c[2]));
        }
    }
}
