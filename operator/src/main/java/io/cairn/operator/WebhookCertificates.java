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
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;
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
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The injection webhook's TLS material, made by the operator itself: a CA it keeps (ten years)
 * and a serving certificate for the webhook Service's DNS names that it signs with that CA and
 * renews a month before it runs out (it lasts ninety days). When the CA itself nears its end a
 * new one is made and the old one stays in the bundle the API server trusts until it expires, so
 * a renewal never breaks calls already configured with the old bundle. Pure: no cluster access.
 */
final class WebhookCertificates {
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    static final Duration CERT_VALIDITY = Duration.ofDays(90);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    /** Secret keys: the serving pair, the CA bundle (current CA first) and the CA's key. */
    static final String CERT = "tls.crt";
    static final String KEY = "tls.key";
    static final String CA = "ca.crt";
    static final String CA_KEY = "ca.key";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** PEM texts; {@code caBundle} may hold more than one certificate, the current CA first. */
    record Bundle(String caBundle, String caKey, String cert, String key) {
        Map<String, String> secretData() {
            Map<String, String> data = new HashMap<>();
            data.put(CA, b64(caBundle));
            data.put(CA_KEY, b64(caKey));
            data.put(CERT, b64(cert));
            data.put(KEY, b64(key));
            return data;
        }

        /** The bundle kept in a Secret's data, or null when a part is missing or unreadable. */
        static Bundle fromSecretData(Map<String, String> data) {
            if (data == null || !data.keySet().containsAll(List.of(CA, CA_KEY, CERT, KEY))) {
                return null;
            }
            try {
                Base64.Decoder d = Base64.getDecoder();
                return new Bundle(new String(d.decode(data.get(CA)), StandardCharsets.US_ASCII),
                        new String(d.decode(data.get(CA_KEY)), StandardCharsets.US_ASCII),
                        new String(d.decode(data.get(CERT)), StandardCharsets.US_ASCII),
                        new String(d.decode(data.get(KEY)), StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        X509Certificate serving() {
            return certificates(cert).get(0);
        }

        X509Certificate currentCa() {
            return certificates(caBundle).get(0);
        }
    }

    private WebhookCertificates() {}

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** The DNS names a Service is called by from the API server. */
    static List<String> serviceNames(String service, String namespace) {
        return List.of(service, service + "." + namespace, service + "." + namespace + ".svc");
    }

    /**
     * Why {@code b} must be replaced at {@code now} for these names, or null when it serves on:
     * missing or unreadable, not yet or no longer valid, within the renewal window, missing a
     * name, or not signed by the bundle's current CA.
     */
    static String renewalReason(Bundle b, List<String> dnsNames, Instant now) {
        if (b == null) {
            return "no certificate yet";
        }
        try {
            X509Certificate cert = b.serving();
            X509Certificate ca = b.currentCa();
            privateKey(b.key());
            privateKey(b.caKey());
            if (cert.getNotBefore().toInstant().isAfter(now)) {
                return "the certificate is not valid yet";
            }
            if (!cert.getNotAfter().toInstant().isAfter(now.plus(RENEW_BEFORE))) {
                return "the certificate expires " + cert.getNotAfter().toInstant();
            }
            if (!ca.getNotAfter().toInstant().isAfter(now.plus(RENEW_BEFORE))) {
                return "the CA expires " + ca.getNotAfter().toInstant();
            }
            List<String> names = new ArrayList<>();
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(GeneralName.dNSName).equals(san.get(0))) {
                        names.add((String) san.get(1));
                    }
                }
            }
            if (!names.containsAll(dnsNames)) {
                return "the certificate is for " + names + ", not " + dnsNames;
            }
            cert.verify(ca.getPublicKey());
            return null;
        } catch (RuntimeException | GeneralSecurityException e) {
            return "the stored certificate is unreadable (" + e.getMessage() + ")";
        }
    }

    /**
     * A serving certificate for {@code dnsNames}, signed by {@code previous}'s CA when that CA
     * still has long enough to run; else by a new CA, with the previous CA kept in the bundle.
     */
    static Bundle issue(Bundle previous, List<String> dnsNames, Instant now) {
        try {
            X509Certificate ca = null;
            PrivateKey caKey = null;
            List<X509Certificate> bundle = new ArrayList<>();
            if (previous != null) {
                try {
                    X509Certificate old = previous.currentCa();
                    PrivateKey oldKey = privateKey(previous.caKey());
                    if (old.getNotAfter().toInstant().isAfter(now.plus(CERT_VALIDITY).plus(RENEW_BEFORE))) {
                        ca = old;
                        caKey = oldKey;
                    } else if (old.getNotAfter().toInstant().isAfter(now)) {
                        bundle.add(old); // still trusted until it expires
                    }
                } catch (RuntimeException | GeneralSecurityException unreadable) {
                    // start again with a new CA
                }
            }
            if (ca == null) {
                KeyPair pair = keyPair();
                X500Principal name = new X500Principal("CN=cairn-webhook-ca");
                JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
                        Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic());
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                ca = sign(b, pair.getPrivate());
                caKey = pair.getPrivate();
            }
            bundle.add(0, ca);

            KeyPair pair = keyPair();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.getSubjectX500Principal(), serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(CERT_VALIDITY)),
                    new X500Principal("CN=" + dnsNames.get(dnsNames.size() - 1)), pair.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                    dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new)));
            X509Certificate cert = sign(b, caKey);
            return new Bundle(pem(bundle.toArray()), pem(new JcaPKCS8Generator(caKey, null)), pem(cert),
                    pem(new JcaPKCS8Generator(pair.getPrivate(), null)));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("could not make the webhook certificate: " + e.getMessage(), e);
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
