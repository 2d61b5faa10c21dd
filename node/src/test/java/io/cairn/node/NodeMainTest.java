package io.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.node.testing.TempDirs;
import io.cairn.node.testing.TestCerts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Bad TLS flags stop cairn-node before it starts, with a line that says which flag is wrong. */
class NodeMainTest {
    private static String refused(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new NodeMain());
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute(args)).as(String.join(" ", args)).isEqualTo(2);
        return err.toString();
    }

    @Test
    void tlsFlagsAreCheckedBeforeTheMemberStarts() throws Exception {
        Path data = TempDirs.create("cairn-main");
        TestCerts ca = TestCerts.newCa("main-ca");
        Path[] pair = ca.leaf("m", "dns:localhost", "serverAuth,clientAuth");
        String d = data.toString();
        assertThat(refused("--id", "1", "--data-dir", d, "--tls-cert", pair[0].toString(), "--tls-key", pair[1].toString()))
                .contains("missing --tls-ca");
        assertThat(refused("--id", "1", "--data-dir", d, "--client-cert-auth")).contains("--client-cert-auth needs TLS");
        assertThat(refused("--id", "1", "--data-dir", d, "--tls-cert", "/no/such.crt", "--tls-key", pair[1].toString(),
                "--tls-ca", ca.caFile().toString())).contains("/no/such.crt").contains("cannot be read");
        // A certificate where the key should be: the reason names key formats.
        assertThat(refused("--id", "1", "--data-dir", d, "--tls-cert", pair[0].toString(), "--tls-key", pair[0].toString(),
                "--tls-ca", ca.caFile().toString())).contains("PKCS#8");
        assertThat(data.resolve("cluster.pb")).as("nothing written for a refused start").doesNotExist();
    }

    @Test
    void aBackupThatCannotBeRestoredStopsTheMemberBeforeItStarts() throws Exception {
        Path data = TempDirs.create("cairn-main");
        Path bad = Files.createTempFile("cairn-main", ".bak");
        Files.writeString(bad, "not a backup");
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new NodeMain());
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("--id", "1", "--data-dir", data.toString(), "--peers", "1=127.0.0.1:1", "--restore-from", bad.toString()))
                .isEqualTo(1);
        assertThat(data.resolve("cluster.pb")).doesNotExist();
        assertThat(refused("--id", "1", "--data-dir", data.toString(), "--restore-from", bad.toString()))
                .contains("--restore-from needs --peers");
        Files.delete(bad);
    }
}
