package io.cairn.net;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * Where a member's or a client's TLS material comes from: a PEM certificate chain and its
 * PKCS#8 private key (together or neither), and a PEM bundle of the CAs to trust. Files are read
 * again whenever they change (see {@link ReloadingSslContext}), so a Kubernetes Secret renewed in
 * place is picked up without a restart. Members use one certificate for the client port, the
 * HTTP gateway and both ends of the peer protocol; peers always authenticate each other.
 */
public final class TlsConfig {
    /** The PEM texts, as read at one moment. */
    public record Material(byte[] cert, byte[] key, byte[] ca) {}

    private final String origin;
    private final Path certFile;
    private final Path keyFile;
    private final Path caFile;
    private final Material fixed;

    private TlsConfig(String origin, Path certFile, Path keyFile, Path caFile, Material fixed) {
        this.origin = origin;
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.caFile = caFile;
        this.fixed = fixed;
    }

    /**
     * Material read from files; {@code cert} and {@code key} go together (both null for a client
     * that shows no certificate), {@code ca} null trusts the JVM's default CAs.
     *
     * @throws IllegalArgumentException naming the file or flag that is wrong
     */
    public static TlsConfig files(Path cert, Path key, Path ca) {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("a TLS certificate and its key go together: got "
                    + (cert == null ? "a key (" + key + ") without a certificate" : "a certificate (" + cert + ") without its key"));
        }
        for (Path p : Arrays.asList(cert, key, ca)) {
            if (p != null && !Files.isReadable(p)) {
                throw new IllegalArgumentException("TLS file " + p + " does not exist or cannot be read");
            }
        }
        TlsConfig c = new TlsConfig("files " + describe(cert, key, ca), cert, key, ca, null);
        // Fail now, with the reason, rather than at the first handshake: the PEM texts must parse
        // (read by the JDK: a client on plain sockets, the sidecar, loads nothing of Netty).
        c.jdkClientContext();
        return c;
    }

    /** Material held in memory (read from a Kubernetes Secret, say); {@code cert}/{@code key} may be null together. */
    public static TlsConfig pem(byte[] cert, byte[] key, byte[] ca, String origin) {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException(origin + ": a TLS certificate and its key go together");
        }
        return new TlsConfig(origin, null, null, null, new Material(cert, key, ca));
    }

    private static String describe(Path... paths) {
        StringBuilder sb = new StringBuilder();
        for (Path p : paths) {
            if (p != null) {
                sb.append(sb.length() == 0 ? "" : ", ").append(p);
            }
        }
        return sb.toString();
    }

    public String origin() {
        return origin;
    }

    /** Reads the material now. */
    public Material load() {
        if (fixed != null) {
            return fixed;
        }
        return new Material(read(certFile), read(keyFile), read(caFile));
    }

    private static byte[] read(Path p) {
        if (p == null) {
            return null;
        }
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read TLS file " + p + ": " + e.getMessage(), e);
        }
    }

    /**
     * What changes when the files change: their sizes and modification times (a Kubernetes
     * Secret volume swaps a symlink, which changes both of what it points at).
     */
    Object stamp() {
        if (fixed != null) {
            return fixed;
        }
        List<Object> out = new java.util.ArrayList<>();
        for (Path p : Arrays.asList(certFile, keyFile, caFile)) {
            if (p == null) {
                out.add(null);
                continue;
            }
            try {
                out.add(Files.getLastModifiedTime(p).toMillis() + ":" + Files.size(p) + ":" + p.toRealPath());
            } catch (IOException e) {
                out.add("unreadable");
            }
        }
        return out;
    }

    /** A server context: this certificate, and client certificates checked against the CAs as {@code auth} says. */
    public SslContext serverContext(ClientAuth auth) {
        Material m = load();
        if (m.cert() == null) {
            throw new IllegalArgumentException("TLS (" + origin + "): serving TLS needs a certificate and its key");
        }
        if (auth != ClientAuth.NONE && m.ca() == null) {
            throw new IllegalArgumentException("TLS (" + origin + "): checking client certificates needs a CA bundle");
        }
        try {
            SslContextBuilder b = SslContextBuilder.forServer(in(m.cert()), in(m.key())).sslProvider(SslProvider.JDK)
                    .clientAuth(auth);
            if (m.ca() != null) {
                b.trustManager(in(m.ca()));
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("TLS (" + origin + "): " + reason(e), e);
        }
    }

    /**
     * A client context: the server's certificate must chain to the CAs and name the host dialled
     * (hostname verification on); this certificate is shown when there is one.
     */
    public SslContext clientContext() {
        Material m = load();
        try {
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                    .endpointIdentificationAlgorithm("HTTPS");
            if (m.ca() != null) {
                b.trustManager(in(m.ca()));
            }
            if (m.cert() != null) {
                b.keyManager(in(m.cert()), in(m.key()));
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("TLS (" + origin + "): " + reason(e), e);
        }
    }

    /**
     * The client context as a JDK {@link SSLContext}, for blocking sockets, read without Netty.
     * The context itself checks no host name: a socket's {@code SSLParameters} turn that on.
     */
    public SSLContext jdkClientContext() {
        try {
            return JdkTls.clientContext(load());
        } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("TLS (" + origin + "): " + reason(e), e);
        }
    }

    private static ByteArrayInputStream in(byte[] b) {
        return new ByteArrayInputStream(Objects.requireNonNull(b));
    }

    /** The innermost message: Netty wraps the useful one ("File does not contain valid private key") in generic ones. */
    private static String reason(Throwable e) {
        String msg = Causes.innermost(e);
        if (msg != null && msg.contains("private key")) {
            msg += " (keys must be PEM PKCS#8, \"BEGIN PRIVATE KEY\"; convert with: openssl pkcs8 -topk8 -nocrypt)";
        }
        return msg;
    }
}
