package io.cairn.sidecar;

import static io.cairn.sidecar.SidecarTest.eventually;
import static io.cairn.sidecar.SidecarTest.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.NodeConfig;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestCerts;
import io.cairn.node.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a running sidecar loads decides most of its memory (docs/sidecar.md, Footprint): its client
 * talks over plain JDK sockets and reads TLS files with the JDK, so no class of Netty is loaded,
 * TLS included. One import of the Netty transport into that path would add some 3 MiB to every pod.
 */
class LoadedClassesTest {
    @TempDir
    Path dir;

    @Test
    void aSidecarOverTlsLoadsNoNettyClass() throws Exception {
        TestCerts ca = TestCerts.newCa("sidecar-classes-ca");
        Path[] leaf = ca.leaf("sidecar", "dns:localhost", "clientAuth");
        try (TestNode node = TestNode.start(StoreConfig.defaults(), new NodeConfig.Tls(ca.member("member"), true));
                CairnClient c = CairnClient.builder().endpoints(node.endpoint()).tls(ca.client("writer")).build()) {
            c.set("/config/web/greeting", "hello", -1);
            Path out = dir.resolve("out");
            Path classes = dir.resolve("classes.txt");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-Xmx64m", "-XX:+UseSerialGC", "-Xlog:class+load=info:file=" + classes,
                    "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                    "-cp", System.getProperty("java.class.path"), "io.cairn.sidecar.SidecarMain",
                    "--endpoints", node.endpoint(), "--cacert", ca.caFile().toString(), "--cert", leaf[0].toString(),
                    "--key", leaf[1].toString(), "--watch", "/config/web", "--out", out.toString(), "--namespace", "prod",
                    "--app", "web", "--pod", "web-1", "--health-addr", "127.0.0.1:0")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("sidecar.log").toFile()).start();
            try {
                eventually("the first render", () -> Files.exists(out.resolve("greeting")));
                c.set("/config/web/greeting", "bonjour", -1);
                eventually("a change rendered", () -> "bonjour".equals(read(out.resolve("greeting"))));
                eventually("the presence", () -> c.get("/presence/prod/web/web-1").exists());
                p.destroy();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as(read(dir.resolve("sidecar.log"))).isZero();
            } finally {
                p.destroyForcibly();
            }
            List<String> loaded = Files.readAllLines(classes);
            assertThat(loaded).as("the class log").anyMatch(l -> l.contains("io.cairn.client.SocketClientTransport"))
                    .anyMatch(l -> l.contains("javax.net.ssl.SSLSocket"));
            assertThat(loaded).filteredOn(l -> l.contains("io.netty.")).isEmpty();
        }
    }
}
