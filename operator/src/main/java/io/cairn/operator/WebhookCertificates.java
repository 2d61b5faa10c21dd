package io.cairn.operator;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The injection webhook's TLS material, made by the operator itself ({@link Certificates}): a
 * CA it keeps and a serving certificate for the webhook Service's DNS names, lasting ninety days
 * and renewed a month before it runs out. All four parts live in one Secret only the operator
 * reads.
 */
final class WebhookCertificates {
    static final Duration CERT_VALIDITY = Duration.ofDays(90);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    /** Secret keys (the cluster TLS Secrets use the same): the pair, the CA bundle (current CA first), the CA's key. */
    static final String CERT = "tls.crt";
    static final String KEY = "tls.key";
    static final String CA = "ca.crt";
    static final String CA_KEY = "ca.key";

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
            return Certificates.certificates(cert).get(0);
        }

        X509Certificate currentCa() {
            return Certificates.certificates(caBundle).get(0);
        }

        Certificates.Ca ca() {
            return new Certificates.Ca(caBundle, caKey);
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

    private static Certificates.LeafSpec spec(List<String> dnsNames) {
        return new Certificates.LeafSpec(dnsNames.get(dnsNames.size() - 1), dnsNames, List.of(), true, false,
                CERT_VALIDITY, RENEW_BEFORE);
    }

    /** Why {@code b} must be replaced at {@code now} for these names, or null when it serves on. */
    static String renewalReason(Bundle b, List<String> dnsNames, Instant now) {
        return b == null ? "no certificate yet"
                : Certificates.renewalReason(new Certificates.Pair(b.cert(), b.key()), b.ca(), spec(dnsNames), now);
    }

    /**
     * A serving certificate for {@code dnsNames}, signed by {@code previous}'s CA when that CA
     * still has long enough to run; else by a new CA, with the previous CA kept in the bundle.
     */
    static Bundle issue(Bundle previous, List<String> dnsNames, Instant now) {
        Certificates.Ca ca = Certificates.ensureCa(previous == null ? null : previous.ca(), "cairn-webhook-ca", spec(dnsNames), now);
        Certificates.Pair p = Certificates.issue(ca, spec(dnsNames), now);
        return new Bundle(ca.bundle(), ca.key(), p.cert(), p.key());
    }
}
