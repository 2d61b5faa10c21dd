package io.cairn.node.testing;

import io.cairn.net.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Test certificates made with the JDK's own {@code keytool} (EC P-256), in a fresh temp
 * directory: a CA, and leaves it signs for loopback (DNS localhost, IP 127.0.0.1) as members or
 * clients. Private keys are written as PEM PKCS#8, as members and clients read them.
 */
public final class TestCerts {
    private static final String PASS = "changeit";
    private final Path dir;
    private final String caAlias;
    private final Path caStore;
    private final Path caPem;

    private TestCerts(Path dir, String caAlias) {
        this.dir = dir;
        this.caAlias = caAlias;
        this.caStore = dir.resolve(caAlias + ".p12");
        this.caPem = dir.resolve(caAlias + ".crt");
    }

    /** A new CA named {@code name}. */
    public static TestCerts newCa(String name) {
        try {
            TestCerts c = new TestCerts(TempDirs.create("cairn-certs"), name);
            c.keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                    "-ext", "bc:c", "-validity", "3650", "-keystore", c.caStore.toString());
            c.keytool("-exportcert", "-rfc", "-alias", name, "-keystore", c.caStore.toString(), "-file", c.caPem.toString());
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CA certificate, PEM. */
    public Path caFile() {
        return caPem;
    }

    /** A member's pair: server and client use, for localhost and 127.0.0.1. */
    public TlsConfig member(String name) {
        Path[] pair = leaf(name, "dns:localhost,ip:127.0.0.1", "serverAuth,clientAuth");
        return TlsConfig.files(pair[0], pair[1], caPem);
    }

    /** A client's pair: client use only. */
    public TlsConfig client(String name) {
        Path[] pair = leaf(name, null, "clientAuth");
        return TlsConfig.files(pair[0], pair[1], caPem);
    }

    /** Trusts this CA and shows no certificate. */
    public TlsConfig anonymous() {
        return TlsConfig.files(null, null, caPem);
    }

    /**
     * A new key pair signed by this CA: {cert, key} files. {@code san} in keytool's form
     * ({@code dns:NAME,ip:ADDR}) or null; {@code eku} like {@code serverAuth,clientAuth}.
     */
    public Path[] leaf(String name, String san, String eku) {
        return leaf(name, "CN=" + name, san, eku);
    }

    /** As {@link #leaf(String, String, String)}, with the subject {@code dname} (like {@code CN=alice,O=ops}). */
    public Path[] leaf(String name, String dname, String san, String eku) {
        try {
            Path store = dir.resolve(name + ".p12");
            Files.deleteIfExists(store);
            Path csr = dir.resolve(name + ".csr");
            Path cert = dir.resolve(name + ".crt");
            Path key = dir.resolve(name + ".key");
            keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname,
                    "-validity", "365", "-keystore", store.toString());
            keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-file", csr.toString());
            List<String> gen = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", caAlias, "-keystore", caStore.toString(),
                    "-infile", csr.toString(), "-outfile", cert.toString(), "-validity", "365", "-ext", "eku=" + eku));
            if (san != null) {
                gen.add("-ext");
                gen.add("san=" + san);
            }
            keytool(gen.toArray(String[]::new));
            // The chain a member serves: its certificate, then the CA's.
            Files.writeString(cert, Files.readString(cert) + Files.readString(caPem));
            Files.writeString(key, pkcs8Pem(store, name));
            return new Path[] {cert, key};
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("could not make a test certificate: " + e.getMessage(), e);
        }
    }

    private static String pkcs8Pem(Path store, String alias) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASS.toCharArray());
        }
        Key k = ks.getKey(alias, PASS.toCharArray());
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(k.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    private void keytool(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storepass", PASS, "-storetype", "PKCS12", "-noprompt"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
