package io.cairn.sidecar;

import static io.cairn.sidecar.SidecarTest.eventually;
import static io.cairn.sidecar.SidecarTest.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn-sidecar exec}: a real child process gets the config as variables, is restarted or
 * signalled when they change, gets the signals the sidecar gets, and its exit code is the sidecar's.
 */
class ExecTest {
    @TempDir
    Path dir;

    /**
     * A child that logs its start with the variables it got, logs a TERM or HUP, and exits
     * {@code termExit} on TERM. The loop's short sleeps let the traps run promptly.
     */
    private List<String> child(Path log, int termExit) {
        return List.of("sh", "-c", "echo \"start $GREETING|$DB_URL|$APP_GREETING|$CAIRN_REVISION\" >> '" + log + "';"
                + " trap 'echo term >> \"" + log + "\"; exit " + termExit + "' TERM;"
                + " trap 'echo hup >> \"" + log + "\"' HUP;"
                + " while true; do sleep 0.02; done");
    }

    private Sidecar sidecar(CairnClient c, EnvExec exec) throws RenderException {
        return new Sidecar(new Sidecar.Settings(c, List.of("/config/app"), exec, new Renderer(true, List.of(), null, Map.of()),
                new ChangeAction.None(), null, Duration.ofSeconds(5)));
    }

    private static long lines(Path log, String prefix) {
        String s = read(log);
        return s == null ? 0 : s.lines().filter(l -> l.startsWith(prefix)).count();
    }

    @Test
    void theChildGetsTheConfigIsRestartedWhenItChangesAndItsExitCodeIsTheSidecars() throws Exception {
        Path log = dir.resolve("child.log");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/app/greeting", "hello", -1);
            long rev = c.set("/config/app/db/url", "postgres://a", -1);
            EnvExec exec = new EnvExec(child(log, 7), new EnvExec.Variables(true, "", Map.of()), new EnvExec.Restart(),
                    Duration.ofSeconds(5), Map.of("PATH", System.getenv("PATH")));
            Sidecar s = sidecar(c, exec);
            s.start();
            try {
                eventually("the child started with the config", () -> lines(log, "start ") == 1);
                assertThat(read(log)).contains("start hello|postgres://a||" + rev);

                long r2 = c.set("/config/app/greeting", "bonjour", -1);
                eventually("the child restarted with the new value", () -> lines(log, "start ") == 2);
                assertThat(read(log).lines().toList()).containsSubsequence("start hello|postgres://a||" + rev, "term",
                        "start bonjour|postgres://a||" + r2);
                assertThat(exec.starts()).isEqualTo(2);
                assertThat(exec.exit()).as("a restart is not the end").isNotDone();

                // TERM to the sidecar is passed on, and the child's own exit code comes back.
                exec.forward("TERM");
                assertThat(exec.exit().get(10, TimeUnit.SECONDS)).isEqualTo(7);
                assertThat(lines(log, "term")).isEqualTo(2);

                // Told to stop, it restarts nothing more.
                c.set("/config/app/greeting", "hola", -1);
                Thread.sleep(300);
                assertThat(exec.starts()).isEqualTo(2);
            } finally {
                s.close();
                exec.close();
            }
        }
    }

    @Test
    void onlyTheNamedVariablesWithAPrefixAndASignalInsteadOfARestart() throws Exception {
        Path log = dir.resolve("child.log");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/app/greeting", "hello", -1);
            c.set("/config/app/db/url", "postgres://a", -1);
            // Only APP_GREETING, from one key; db/url makes no variable, so changing it does nothing.
            EnvExec exec = new EnvExec(child(log, 0), new EnvExec.Variables(false, "", Map.of("APP_GREETING", "greeting")),
                    new EnvExec.SignalChild("HUP"), Duration.ofSeconds(5), Map.of("PATH", System.getenv("PATH")));
            Sidecar s = sidecar(c, exec);
            s.start();
            try {
                eventually("the child started", () -> lines(log, "start ") == 1);
                assertThat(read(log)).contains("start ||hello|");
                long r = c.set("/config/app/db/url", "postgres://b", -1);
                eventually("the sidecar saw the change", () -> s.applied() >= r);
                c.set("/config/app/greeting", "bonjour", -1);
                eventually("the child was sent HUP", () -> lines(log, "hup") == 1);
                assertThat(exec.starts()).as("signalled, not restarted").isEqualTo(1);
                assertThat(lines(log, "hup")).as("db/url's change signalled nothing").isEqualTo(1);
            } finally {
                s.close();
                exec.close();
            }
        }
    }

    @Test
    void aChildThatExitsOnItsOwnEndsTheSidecarWithItsCodeAndAMissingCommandIs127() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/app/code", "3", -1);
            EnvExec exec = new EnvExec(List.of("sh", "-c", "exit $CODE"), new EnvExec.Variables(true, "", Map.of()),
                    new EnvExec.Restart(), Duration.ofSeconds(5), Map.of());
            Sidecar s = sidecar(c, exec);
            s.start();
            try {
                assertThat(exec.exit().get(15, TimeUnit.SECONDS)).isEqualTo(3);
            } finally {
                s.close();
            }
            EnvExec missing = new EnvExec(List.of(dir.resolve("no-such-program").toString()), new EnvExec.Variables(true, "", Map.of()),
                    new EnvExec.Restart(), Duration.ofSeconds(5), Map.of());
            Sidecar s2 = sidecar(c, missing);
            s2.start();
            try {
                assertThat(missing.exit().get(15, TimeUnit.SECONDS)).isEqualTo(127);
            } finally {
                s2.close();
            }
        }
    }

    @Test
    void aChildThatIgnoresTermIsKilledAfterTheStopTimeoutOnARestart() throws Exception {
        Path log = dir.resolve("child.log");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/app/greeting", "hello", -1);
            List<String> stubborn = List.of("sh", "-c", "echo \"start $GREETING\" >> '" + log + "'; trap '' TERM;"
                    + " while true; do sleep 0.02; done");
            EnvExec exec = new EnvExec(stubborn, new EnvExec.Variables(true, "", Map.of()), new EnvExec.Restart(),
                    Duration.ofMillis(200), Map.of("PATH", System.getenv("PATH")));
            Sidecar s = sidecar(c, exec);
            s.start();
            try {
                eventually("started", () -> lines(log, "start ") == 1);
                c.set("/config/app/greeting", "bonjour", -1);
                eventually("killed and started again", () -> lines(log, "start bonjour") == 1);
            } finally {
                s.close();
                exec.close();
            }
        }
    }

    @Test
    void badInputIsRefusedWithAClearErrorBeforeAnythingRuns() {
        String[][] cases = {
            {"Missing required parameter: 'COMMAND'", "exec", "--watch", "/config/app"},
            {"--env must be NAME=PATH", "exec", "--watch", "/config/app", "--env", "GREETING", "true"},
            {"is not a variable name", "exec", "--watch", "/config/app", "--env", "1X=/config/app/a", "true"},
            {"is not under a watched prefix", "exec", "--watch", "/config/app", "--env", "X=/config/other/a", "true"},
            {"--no-env-all sets only the --env variables", "exec", "--watch", "/config/app", "--no-env-all", "true"},
            {"--on-env-change must be restart", "exec", "--watch", "/config/app", "--on-env-change", "reload", "true"},
            {"--env-prefix", "exec", "--watch", "/config/app", "--env-prefix", "A-B", "true"},
            {"--stop-timeout", "exec", "--watch", "/config/app", "--stop-timeout", "soon", "true"},
            {"--watch (or $CAIRN_WATCH) is required", "exec", "true"},
        };
        for (String[] c : cases) {
            SidecarTest.assertRefused(c[0], List.of(c).subList(1, c.length));
        }
    }

    @Test
    void optionsAfterTheCommandAreTheCommands() throws Exception {
        Path out = dir.resolve("args.txt");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/app/greeting", "hi", -1);
            Process p = sidecarExec(node.endpoint(), "printf", "%s|%s", "--watch", "$GREETING");
            // No shell: printf gets "--watch" as an argument, and $GREETING literally.
            p.getOutputStream().close();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("--watch|$GREETING");
            assertThat(p.exitValue()).isZero();
        }
    }

    @Test
    void aRealSigtermToTheSidecarReachesTheChildAndItsExitCodeComesBack() throws Exception {
        Path log = dir.resolve("child.log");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/app/greeting", "hello", -1);
            List<String> cmd = new ArrayList<>(child(log, 42));
            Process p = sidecarExec(node.endpoint(), cmd.toArray(String[]::new));
            try {
                eventually("the child started", () -> lines(log, "start hello") == 1);
                p.destroy(); // SIGTERM to the sidecar's JVM
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the sidecar exits once its child has").isTrue();
                assertThat(p.exitValue()).isEqualTo(42);
                assertThat(lines(log, "term")).isEqualTo(1);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /** {@code cairn-sidecar exec} in a JVM of its own, watching /config/app. */
    private Process sidecarExec(String endpoint, String... command) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> argv = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC",
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener", "-cp", System.getProperty("java.class.path"),
                "io.cairn.sidecar.SidecarMain", "exec", "--endpoints", endpoint, "--watch", "/config/app", "--init-timeout", "30s"));
        argv.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectError(dir.resolve("sidecar.err").toFile());
        return pb.start();
    }
}
