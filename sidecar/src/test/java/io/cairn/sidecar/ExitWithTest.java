package io.cairn.sidecar;

import static io.cairn.sidecar.SidecarTest.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Job's pod on a cluster without native sidecars: the app container's {@code exec --exit-file}
 * leaves its exit code when the app ends, and the sidecar container, run with
 * {@code --exit-with}, ends then too (exit 0, its presence removed), so the pod completes.
 */
class ExitWithTest {
    @TempDir
    Path dir;

    private Process java(List<String> args, String log) throws Exception {
        return start(javaArgv(args), log);
    }

    private Process runMode(String endpoint, String pod, String... extra) throws Exception {
        return java(runArgs(endpoint, pod, extra), pod + ".log");
    }

    @Test
    void theAppsExitFileEndsTheSidecarContainer() throws Exception {
        Path exitFile = dir.resolve("exec/app.exit");
        Files.createDirectories(exitFile.getParent());
        Files.writeString(exitFile, "9\n"); // an earlier run's, which the wrapper clears when it starts
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/job/greeting", "hello", -1);
            Process app = java(List.of("exec", "--endpoints", node.endpoint(), "--watch", "/config/job", "--exit-file", exitFile.toString(),
                    "--", "sh", "-c", "sleep 1; echo \"$GREETING\" > '" + dir.resolve("app.out") + "'; exit 3"), "app.log");
            Process sidecar = null;
            try {
                eventually("the wrapper cleared the earlier exit file", () -> !Files.exists(exitFile));
                sidecar = runMode(node.endpoint(), "job-1", "--exit-with", exitFile.toString());
                eventually("the presence registered", () -> c.get("/presence/batch/job/job-1").exists());
                assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(app.exitValue()).isEqualTo(3);
                assertThat(Files.readString(dir.resolve("app.out")).trim()).isEqualTo("hello");
                assertThat(Files.readString(exitFile, StandardCharsets.UTF_8)).isEqualTo("3\n");
                assertThat(sidecar.waitFor(30, TimeUnit.SECONDS)).as("the sidecar ends once the app has").isTrue();
                assertThat(sidecar.exitValue()).isZero();
                assertThat(c.get("/presence/batch/job/job-1").exists()).as("its session ended cleanly").isFalse();
                assertThat(Files.readString(dir.resolve("job-1.log"))).contains("the app has ended (" + exitFile + " = 3): ending too");
            } finally {
                app.destroyForcibly();
                if (sidecar != null) {
                    sidecar.destroyForcibly();
                }
            }
        }
    }

    @Test
    void onFailureOnlyASuccessEndsIt() throws Exception {
        Path exitFile = dir.resolve("app.exit");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/job/greeting", "hello", -1);
            Process sidecar = runMode(node.endpoint(), "job-2", "--exit-with", exitFile.toString(), "--exit-with-success");
            try {
                eventually("the presence registered", () -> c.get("/presence/batch/job/job-2").exists());
                ExitFile.write(exitFile, 1); // failed: the kubelet runs the app again
                assertThat(sidecar.waitFor(2, TimeUnit.SECONDS)).as("a failure is not the end").isFalse();
                ExitFile.clear(exitFile); // the next run's wrapper
                ExitFile.write(exitFile, 0);
                assertThat(sidecar.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(sidecar.exitValue()).isZero();
            } finally {
                sidecar.destroyForcibly();
            }
        }
    }

    /**
     * A pod with {@code shareProcessNamespace: true}, made as a container runtime makes it: a
     * "pause" process is process 1 of a new PID namespace (with its own /proc), and each
     * container's first process enters the namespace from outside ({@code nsenter}), so its
     * parent shows as 0. Needs root and util-linux's unshare and nsenter; skipped without them.
     */
    private static final class SharedPidNamespace implements AutoCloseable {
        final Process unshare;
        final long pause;

        SharedPidNamespace() throws Exception {
            unshare = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "sleep", "600")
                    .redirectErrorStream(true).start();
            Path children = Path.of("/proc", Long.toString(unshare.pid()), "task", Long.toString(unshare.pid()), "children");
            long[] found = {-1};
            eventually("the pause process started", () -> {
                String c = Files.exists(children) ? SidecarTest.read(children) : "";
                c = c == null ? "" : c.trim();
                if (!c.isEmpty()) {
                    found[0] = Long.parseLong(c.split(" ")[0]);
                }
                return found[0] > 0 || !unshare.isAlive();
            });
            if (found[0] < 0) {
                throw new IllegalStateException("unshare ended: " + new String(unshare.getInputStream().readAllBytes()));
            }
            pause = found[0];
        }

        /** {@code argv} run as a container's first process in the pod's namespace. */
        List<String> enter(List<String> argv) {
            List<String> all = new ArrayList<>(List.of("nsenter", "--target", Long.toString(pause), "--pid", "--mount", "--"));
            all.addAll(argv);
            return all;
        }

        @Override
        public void close() throws Exception {
            // Process 1 ending ends every process of its namespace; --kill-child ends it with unshare.
            unshare.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static boolean canMakeNamespaces() {
        try {
            Process p = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "true").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0
                    && new ProcessBuilder("nsenter", "--version").start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private List<String> javaArgv(List<String> args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> argv = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "io.cairn.sidecar.SidecarMain"));
        argv.addAll(args);
        return argv;
    }

    private List<String> runArgs(String endpoint, String pod, String... extra) {
        List<String> args = new ArrayList<>(List.of("--endpoints", endpoint, "--watch", "/config/job", "--out", dir.resolve(pod).toString(),
                "--namespace", "batch", "--app", "job", "--pod", pod, "--health-addr", "127.0.0.1:0"));
        args.addAll(List.of(extra));
        return args;
    }

    private Process start(List<String> argv, String log) throws Exception {
        return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile()).start();
    }

    @Test
    void inASharedProcessNamespaceTheSidecarEndsWithTheAppContainers() throws Exception {
        Assumptions.assumeTrue(canMakeNamespaces(), "needs root, unshare and nsenter");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint());
                SharedPidNamespace pod = new SharedPidNamespace()) {
            c.set("/config/job/greeting", "hello", -1);
            Path go = dir.resolve("go");
            // The app container comes first, as the webhook leaves it, and runs until the test lets it end.
            Process app = start(pod.enter(List.of("sh", "-c", "while [ ! -e '" + go + "' ]; do sleep 0.1; done; exit 0")), "app.log");
            Process sidecar = start(pod.enter(javaArgv(runArgs(node.endpoint(), "job-3", "--exit-with-apps"))), "job-3.log");
            try {
                eventually("the presence registered", () -> c.get("/presence/batch/job/job-3").exists());
                eventually("the sidecar saw the app", () -> String.valueOf(SidecarTest.read(dir.resolve("job-3.log"))).contains("the app containers run"));
                assertThat(sidecar.isAlive()).as("it keeps running while the app does").isTrue();
                Files.writeString(go, "");
                assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(sidecar.waitFor(30, TimeUnit.SECONDS)).as("the sidecar ends once the app has").isTrue();
                assertThat(sidecar.exitValue()).isZero();
                assertThat(c.get("/presence/batch/job/job-3").exists()).as("its session ended cleanly").isFalse();
                assertThat(Files.readString(dir.resolve("job-3.log"))).contains("the app containers' processes have all ended: ending too");
            } finally {
                app.destroyForcibly();
                sidecar.destroyForcibly();
            }
        }
    }

    @Test
    void anAppThatEndedBeforeTheSidecarLookedEndsItAfterTheUnseenWindow() throws Exception {
        Assumptions.assumeTrue(canMakeNamespaces(), "needs root, unshare and nsenter");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint());
                SharedPidNamespace pod = new SharedPidNamespace()) {
            Process sidecar = start(pod.enter(javaArgv(runArgs(node.endpoint(), "job-4", "--exit-with-apps",
                    "--exit-with-apps-unseen", "2s"))), "job-4.log");
            try {
                assertThat(sidecar.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(sidecar.exitValue()).isZero();
                assertThat(Files.readString(dir.resolve("job-4.log"))).contains("no app container's process was seen in 2 s");
            } finally {
                sidecar.destroyForcibly();
            }
        }
    }

    @Test
    void aSidecarAloneInItsPidNamespaceRefusesExitWithApps() throws Exception {
        Assumptions.assumeTrue(canMakeNamespaces(), "needs root, unshare and nsenter");
        // Its own PID namespace, as a container without shareProcessNamespace has: it is process 1 there.
        List<String> argv = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child"));
        argv.addAll(javaArgv(runArgs("127.0.0.1:1", "job-5", "--exit-with-apps")));
        Process sidecar = start(argv, "job-5.log");
        try {
            assertThat(sidecar.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(sidecar.exitValue()).isEqualTo(2);
            assertThat(Files.readString(dir.resolve("job-5.log")))
                    .contains("--exit-with-apps cannot see the pod's other containers: this container is alone in its PID namespace")
                    .doesNotContain("Exception");
        } finally {
            sidecar.destroyForcibly();
        }
    }

    @Test
    void badExitWithIsRefused() {
        SidecarTest.assertRefused("--exit-with relative/app.exit must be an absolute path", List.of("--watch", "/config/job", "--out",
                dir.resolve("o").toString(), "--app", "job", "--pod", "job-1", "--endpoints", "127.0.0.1:1", "--exit-with", "relative/app.exit"));
        SidecarTest.assertRefused("--exit-with is for run mode", List.of("--mode", "init", "--watch", "/config/job", "--out",
                dir.resolve("o").toString(), "--endpoints", "127.0.0.1:1", "--exit-with", "/tmp/app.exit"));
        SidecarTest.assertRefused("--exit-with-apps and --exit-with are two ways", List.of("--watch", "/config/job", "--out",
                dir.resolve("o").toString(), "--app", "job", "--pod", "job-1", "--endpoints", "127.0.0.1:1", "--exit-with", "/tmp/app.exit",
                "--exit-with-apps"));
        SidecarTest.assertRefused("--exit-with-apps is for run mode", List.of("--mode", "init", "--watch", "/config/job", "--out",
                dir.resolve("o").toString(), "--endpoints", "127.0.0.1:1", "--exit-with-apps"));
        SidecarTest.assertRefused("--exit-with-apps-unseen", List.of("--watch", "/config/job", "--out",
                dir.resolve("o").toString(), "--app", "job", "--pod", "job-1", "--endpoints", "127.0.0.1:1", "--exit-with-apps-unseen", "soon"));
    }
}
