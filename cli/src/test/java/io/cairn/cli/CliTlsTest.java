package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.node.NodeConfig;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestCerts;
import io.cairn.node.testing.TestNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code cairn} against a member that requires client certificates: flags, environment and bad files. */
class CliTlsTest {
    static TestCerts ca;
    static TestNode node;
    static Path[] client;

    @BeforeAll
    static void start() {
        ca = TestCerts.newCa("cli-test-ca");
        node = TestNode.start(StoreConfig.defaults(), new NodeConfig.Tls(ca.member("member"), true));
        client = ca.leaf("cli", null, "clientAuth");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static CliTest.Run cairn(String... args) {
        return CliTest.cairnWithEnv(Map.of("CAIRN_ENDPOINTS", node.endpoint()), args);
    }

    @Test
    void flagsBeforeOrAfterTheSubcommand() {
        CliTest.Run set = cairn("--cacert", ca.caFile().toString(), "--cert", client[0].toString(), "--key", client[1].toString(),
                "set", "/tls/cli", "over tls");
        assertThat(set.code()).as(set.err()).isZero();
        CliTest.Run get = cairn("get", "/tls/cli", "--cacert", ca.caFile().toString(), "--cert", client[0].toString(),
                "--key", client[1].toString());
        assertThat(get.line()).isEqualTo("over tls");
    }

    @Test
    void environmentLikeEtcdctl() {
        CliTest.Run rev = CliTest.cairnWithEnv(Map.of("CAIRN_ENDPOINTS", node.endpoint(), "CAIRN_CACERT", ca.caFile().toString(),
                "CAIRN_CERT", client[0].toString(), "CAIRN_KEY", client[1].toString()), "rev");
        assertThat(rev.code()).as(rev.err()).isZero();
    }

    @Test
    void withoutAClientCertificateTheErrorSaysWhy() {
        CliTest.Run rev = cairn("--cacert", ca.caFile().toString(), "rev");
        CliTest.assertError(rev, "UNAVAILABLE");
        assertThat(rev.err()).contains("certificate");
    }

    @Test
    void badFilesAreUsageErrors() {
        CliTest.Run missing = cairn("--cacert", "/no/such/ca.pem", "rev");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("/no/such/ca.pem").contains("cannot be read");
        CliTest.Run half = cairn("--cacert", ca.caFile().toString(), "--cert", client[0].toString(), "rev");
        assertThat(half.code()).isEqualTo(2);
        assertThat(half.err()).contains("go together");
        CliTest.Run swapped = cairn("--cacert", ca.caFile().toString(), "--cert", client[1].toString(), "--key", client[0].toString(), "rev");
        assertThat(swapped.code()).isEqualTo(2);
        assertThat(swapped.err()).startsWith("cairn: TLS");
    }
}
