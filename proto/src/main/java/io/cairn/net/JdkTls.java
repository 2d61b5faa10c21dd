package io.cairn.net;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A client's {@link SSLContext} built from PEM material with the JDK alone: certificates by the
 * JDK's X.509 factory, a PKCS#8 key ("BEGIN PRIVATE KEY") by the key factory of its algorithm.
 * The same material and rules as Netty's builder in {@link TlsConfig#clientContext()}, without
 * loading Netty: the sidecar's client talks over plain JDK sockets and loads none of it.
 */
final class JdkTls {
    private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String END = "-----END PRIVATE KEY-----";
    /** The key store lives only in memory; PKCS#12 wants some password. */
    private static final char[] IN_MEMORY = "cairn".toCharArray();
    /** The algorithms a PKCS#8 key may be for; each key factory refuses a key of another. */
    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"};

    private JdkTls() {}

    /** Trusts {@code ca} (the JVM's CAs when null) and shows {@code cert} with {@code key} when given. */
    static SSLContext clientContext(TlsConfig.Material m) throws GeneralSecurityException {
        KeyManagerFactory kmf = null;
        if (m.cert() != null) {
            // The key first: a key in the wrong form is the usual mistake, and its message names the form wanted.
            PrivateKey key = privateKey(m.key());
            Certificate[] chain = certificates(m.cert(), "certificate").toArray(new Certificate[0]);
            KeyStore keys = emptyStore();
            keys.setKeyEntry("key", key, IN_MEMORY, chain);
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, IN_MEMORY);
        }
        TrustManagerFactory tmf = null;
        if (m.ca() != null) {
            KeyStore trusted = emptyStore();
            int i = 0;
            for (Certificate c : certificates(m.ca(), "CA bundle")) {
                trusted.setCertificateEntry("ca" + i++, c);
            }
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        return ctx;
    }

    private static KeyStore emptyStore() throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("an empty key store cannot be made", e);
        }
        return ks;
    }

    private static Collection<? extends Certificate> certificates(byte[] pem, String what) throws CertificateException {
        Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
        if (all.isEmpty()) {
            throw new CertificateException("the " + what + " holds no PEM certificate");
        }
        return all;
    }

    /** The one PKCS#8 key in {@code pem}; anything else fails with a message that names the format. */
    static PrivateKey privateKey(byte[] pem) throws GeneralSecurityException {
        String text = new String(pem, StandardCharsets.US_ASCII);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END, Math.max(begin, 0));
        if (begin < 0 || end < 0) {
            throw new java.security.spec.InvalidKeySpecException("the key file holds no PEM \"BEGIN PRIVATE KEY\" block"
                    + (text.contains("ENCRYPTED PRIVATE KEY") ? " (it is encrypted)" : "") + "; not a valid private key");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            throw new java.security.spec.InvalidKeySpecException("the private key's PEM block is not base64: " + e.getMessage());
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String alg : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException notThisOne) {
                // Try the next algorithm.
            }
        }
        throw new java.security.spec.InvalidKeySpecException("the PKCS#8 private key is of no algorithm this JVM knows ("
                + String.join(", ", KEY_ALGORITHMS) + ")");
    }
}
