package io.cairn.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChangeActionTest {
    @TempDir
    Path dir;

    @Test
    void httpPostsTheRevision() throws Exception {
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        server.createContext("/reload", ex -> {
            got.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("X-Cairn-Revision") + " "
                    + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(ex.getRequestURI().getQuery() == null ? 204 : 500, -1);
            ex.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            ChangeAction.parse("http:" + base + "/reload").run(42);
            assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("POST 42 {\"rev\":42}");
            assertThatThrownBy(() -> ChangeAction.parse("http:" + base + "/reload?fail").run(43)).hasMessageContaining("500");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void signalReachesTheProcessInThePidFile() throws Exception {
        Path marker = dir.resolve("got-hup");
        Path script = dir.resolve("app.sh");
        Path trapped = dir.resolve("trapped");
        Files.writeString(script, "trap 'touch " + marker + "; exit 0' HUP\ntouch " + trapped
                + "\nwhile true; do sleep 0.05; done\n");
        Process app = new ProcessBuilder("sh", script.toString()).start();
        try {
            Path pidFile = dir.resolve("app.pid");
            Files.writeString(pidFile, app.pid() + "\n");
            // A HUP before the shell has installed its trap would kill it the default way.
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(trapped) && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat(trapped).as("the app installed its trap").exists();
            ChangeAction.parse("signal:HUP:" + pidFile).run(7);
            // Run under nohup, the JVM passes on an ignored SIGHUP, which sh may not trap: then this fails.
            assertThat(app.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.exists(marker)).isTrue();
            Files.writeString(pidFile, "not-a-pid");
            assertThatThrownBy(() -> ChangeAction.parse("signal:HUP:" + pidFile).run(8)).hasMessageContaining("not a pid");
            Files.delete(pidFile);
            assertThatThrownBy(() -> ChangeAction.parse("signal:HUP:" + pidFile).run(9))
                    .hasMessage("no pid file " + pidFile + " (the app writes it, on a volume the sidecar sees too)");
        } finally {
            app.destroyForcibly();
        }
    }

    @Test
    void execSeesTheRevisionAndReportsFailure() throws Exception {
        Path out = dir.resolve("out");
        ChangeAction.parse("exec:echo $CAIRN_REVISION > " + out).run(9);
        assertThat(Files.readString(out).trim()).isEqualTo("9");
        assertThatThrownBy(() -> ChangeAction.parse("exec:exit 3").run(10)).hasMessageContaining("exited 3");
    }

    @Test
    void badSpecsAreRefusedUpFront() {
        for (String bad : new String[] {"reload", "signal:hup:/x", "signal:HUP", "http:ftp://x", "http:", "exec:"}) {
            assertThatThrownBy(() -> ChangeAction.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(ChangeAction.parse("none").describe()).isEqualTo("none");
    }
}
