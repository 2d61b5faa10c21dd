package io.cairn.operator;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The operator's small CA (EC P-256, BouncyCastle): a CA it keeps for ten years, and leaf
 * certificates it signs and renews before they run out. When a CA nears its end a new one is
 * made and the old one stays in the bundle until it expires, so renewing never breaks a peer
 * that still holds a certificate from the old one. Pure: no cluster access. Used for the
 * injection webhook's serving certificate and for each cluster's member and client certificates.
 */
final class Certificates {
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {}

    /** A CA: its PEM bundle (the current CA first, then older ones still valid) and the current CA's PEM key. */
    record Ca(String bundle, String key) {
        X509Certificate current() {
            return certificates(bundle).get(0);
        }
    }

    /** A leaf: PEM certificate and PKCS#8 PEM key. */
    record Pair(String cert, String key) {
        X509Certificate leaf() {
            return certificates(cert).get(0);
        }
    }

    /**
     * What a leaf must be: its subject, the names and addresses it is for, what it may be used
     * for, how long it lasts and how long before its end it is renewed.
     */
    record LeafSpec(String commonName, List<String> dnsNames, List<String> ipAddresses, boolean serverAuth,
            boolean clientAuth, Duration validity, Duration renewBefore) {}

    /**
     * {@code previous} when it outlives a leaf issued now (with its renewal margin); otherwise a
     * new CA named {@code name}, with the previous one kept in the bundle while it is valid.
     */
    static Ca ensureCa(Ca previous, String name, LeafSpec longest, Instant now) {
        List<X509Certificate> bundle = new ArrayList<>();
        if (previous != null) {
            try {
                X509Certificate old = previous.current();
                privateKey(previous.key());
                if (old.getNotAfter().toInstant().isAfter(now.plus(longest.validity()).plus(longest.renewBefore()))) {
                    return previous;
                }
                if (old.getNotAfter().toInstant().isAfter(now)) {
                    bundle.add(old); // still trusted until it expires
                }
            } catch (RuntimeException | GeneralSecurityException unreadable) {
                // start again with a new CA
            }
        }
        try {
            KeyPair pair = keyPair();
            X500Principal subject = new X500Principal("CN=" + name);
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(CA_VALIDITY)), subject, pair.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            bundle.add(0, sign(b, pair.getPrivate()));
            return new Ca(pem(bundle.toArray()), pem(new JcaPKCS8Generator(pair.getPrivate(), null)));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("could not make the CA " + name + ": " + e.getMessage(), e);
        }
    }

    /** A new key pair and a certificate for {@code spec}, signed by {@code ca}'s current CA. */
    static Pair issue(Ca ca, LeafSpec spec, Instant now) {
        try {
            X509Certificate caCert = ca.current();
            PrivateKey caKey = privateKey(ca.key());
            KeyPair pair = keyPair();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert.getSubjectX500Principal(), serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(spec.validity())),
                    new X500Principal("CN=" + spec.commonName()), pair.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            List<KeyPurposeId> uses = new ArrayList<>();
            if (spec.serverAuth()) {
                uses.add(KeyPurposeId.id_kp_serverAuth);
            }
            if (spec.clientAuth()) {
                uses.add(KeyPurposeId.id_kp_clientAuth);
            }
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(uses.toArray(KeyPurposeId[]::new)));
            List<GeneralName> sans = new ArrayList<>();
            spec.dnsNames().forEach(n -> sans.add(new GeneralName(GeneralName.dNSName, n)));
            spec.ipAddresses().forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            X509Certificate cert = sign(b, caKey);
            return new Pair(pem(cert), pem(new JcaPKCS8Generator(pair.getPrivate(), null)));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("could not make the certificate for " + spec.commonName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Why {@code p} must be replaced at {@code now}, or null when it serves on: missing or
     * unreadable, not yet or no longer valid, within its renewal window (or its CA within it),
     * missing a name or an address, or not signed by the bundle's current CA.
     */
    static String renewalReason(Pair p, Ca ca, LeafSpec spec, Instant now) {
        if (p == null || ca == null) {
            return "no certificate yet";
        }
        try {
            X509Certificate cert = p.leaf();
            X509Certificate current = ca.current();
            privateKey(p.key());
            privateKey(ca.key());
            if (cert.getNotBefore().toInstant().isAfter(now)) {
                return "the certificate is not valid yet";
            }
            if (!cert.getNotAfter().toInstant().isAfter(now.plus(spec.renewBefore()))) {
                return "the certificate expires " + cert.getNotAfter().toInstant();
            }
            if (!current.getNotAfter().toInstant().isAfter(now.plus(spec.renewBefore()))) {
                return "the CA expires " + current.getNotAfter().toInstant();
            }
            List<String> names = new ArrayList<>();
            List<String> ips = new ArrayList<>();
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(GeneralName.dNSName).equals(san.get(0))) {
                        names.add((String) san.get(1));
                    } else if (Integer.valueOf(GeneralName.iPAddress).equals(san.get(0))) {
                        ips.add((String) san.get(1));
                    }
                }
            }
            if (!names.containsAll(spec.dnsNames()) || !ips.containsAll(spec.ipAddresses())) {
                List<String> want = new ArrayList<>(spec.dnsNames());
                want.addAll(spec.ipAddresses());
                List<String> have = new ArrayList<>(names);
                have.addAll(ips);
                return "the certificate is for " + have + ", not " + want;
            }
            cert.verify(current.getPublicKey());
            return null;
        } catch (RuntimeException | GeneralSecurityException e) {
            return "the stored certificate is unreadable (" + e.getMessage() + ")";
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM);
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey key)
            throws OperatorCreationException, CertificateException {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    private static String pem(Object... objects) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                w.writeObject(o);
            }
        }
        return out.toString();
    }

    /** Every certificate in a PEM text, in order. */
    static List<X509Certificate> certificates(String pem) {
        try {
            List<X509Certificate> out = new ArrayList<>();
            java.security.cert.CertificateFactory f = java.security.cert.CertificateFactory.getInstance("X.509");
            for (java.security.cert.Certificate c : f.generateCertificates(
                    new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("no certificate in the PEM text");
            }
            return out;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("unreadable certificate: " + e.getMessage(), e);
        }
    }

    /** A private key from PEM: PKCS#8, PKCS#1 (RSA) or SEC 1 (EC), as openssl, Helm or we write them. */
    static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            JcaPEMKeyConverter c = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair pair) {
                // PKCS#1 or SEC 1: the private half is all we need (a SEC 1 key may omit the public one).
                return c.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (o instanceof PrivateKeyInfo info) {
                return c.getPrivateKey(info);
            }
            throw new GeneralSecurityException("no private key in the PEM text");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
