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
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> argv = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "io.cairn.sidecar.SidecarMain"));
        argv.addAll(args);
        return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile()).start();
    }

    private Process runMode(String endpoint, String pod, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--endpoints", endpoint, "--watch", "/config/job", "--out", dir.resolve(pod).toString(),
                "--namespace", "batch", "--app", "job", "--pod", pod, "--health-addr", "127.0.0.1:0"));
        args.addAll(List.of(extra));
        return java(args, pod + ".log");
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

    @Test
    void badExitWithIsRefused() {
        SidecarTest.assertRefused("--exit-with relative/app.exit must be an absolute path", List.of("--watch", "/config/job", "--out",
                dir.resolve("o").toString(), "--app", "job", "--pod", "job-1", "--endpoints", "127.0.0.1:1", "--exit-with", "relative/app.exit"));
        SidecarTest.assertRefused("--exit-with is for run mode", List.of("--mode", "init", "--watch", "/config/job", "--out",
                dir.resolve("o").toString(), "--endpoints", "127.0.0.1:1", "--exit-with", "/tmp/app.exit"));
    }
}
