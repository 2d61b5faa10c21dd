package io.cairn.operator;

import io.cairn.net.TlsConfig;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CairnCluster's TLS Secrets. Unless the spec names its own, the operator keeps three, owned
 * by the cluster (deleted with it): NAME-ca (the CA and its key; only the operator reads it),
 * NAME-member-tls (what members serve and show each other: server and client use, for every
 * peer and client Service name, and for localhost so {@code kubectl exec … cairn} works in a
 * pod) and NAME-client-tls (client use: the operator's own, and the one sidecars mount). Each
 * holds tls.crt, tls.key and ca.crt. Leaves last a year and are renewed a month before their
 * end; members read renewed files without a restart.
 */
final class ClusterTls {
    private static final Logger log = LoggerFactory.getLogger(ClusterTls.class);
    static final Duration VALIDITY = Duration.ofDays(365);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    private static final String CERT = WebhookCertificates.CERT;
    private static final String KEY = WebhookCertificates.KEY;
    private static final String CA = WebhookCertificates.CA;
    private static final String CA_KEY = WebhookCertificates.CA_KEY;

    private ClusterTls() {}

    static boolean enabled(CairnCluster c) {
        return c.getSpec().getTls() != null && c.getSpec().getTls().isEnabled();
    }

    static String caSecret(CairnCluster c) {
        return c.getMetadata().getName() + "-ca";
    }

    static String memberSecret(CairnCluster c) {
        String named = c.getSpec().getTls() == null ? null : c.getSpec().getTls().getSecretName();
        return named != null ? named : c.getMetadata().getName() + "-member-tls";
    }

    static String clientSecret(CairnCluster c) {
        String named = c.getSpec().getTls() == null ? null : c.getSpec().getTls().getClientSecretName();
        return named != null ? named : c.getMetadata().getName() + "-client-tls";
    }

    /** The names a member is dialled by: peers through the headless Service, clients through the client Service. */
    static Certificates.LeafSpec memberSpec(CairnCluster c) {
        String ns = c.getMetadata().getNamespace();
        String peers = Names.headless(c) + "." + ns + ".svc";
        String client = Names.client(c);
        return new Certificates.LeafSpec(c.getMetadata().getName() + "." + ns + " member",
                List.of("*." + peers, "*." + peers + ".cluster.local", client, client + "." + ns, client + "." + ns + ".svc",
                        client + "." + ns + ".svc.cluster.local", "localhost"),
                List.of("127.0.0.1"), true, true, VALIDITY, RENEW_BEFORE);
    }

    static Certificates.LeafSpec clientSpec(CairnCluster c) {
        return new Certificates.LeafSpec(c.getMetadata().getName() + "." + c.getMetadata().getNamespace() + " client",
                List.of(), List.of(), false, true, VALIDITY, RENEW_BEFORE);
    }

    /**
     * Makes sure the cluster's TLS Secrets exist and are current; returns what was issued (empty
     * when nothing was due). Secrets the spec names are the user's: they must exist, and are
     * never written.
     */
    static List<String> ensure(KubernetesClient k8s, CairnCluster c, Instant now) {
        List<String> issued = new ArrayList<>();
        if (!enabled(c)) {
            return issued;
        }
        String ns = c.getMetadata().getNamespace();
        if (c.getSpec().getTls().getSecretName() != null) {
            for (String name : List.of(memberSecret(c), clientSecret(c))) {
                Secret s = k8s.secrets().inNamespace(ns).withName(name).get();
                if (s == null || s.getData() == null || !s.getData().keySet().containsAll(List.of(CERT, KEY, CA))) {
                    throw new IllegalStateException("Secret " + ns + "/" + name + " named in spec.tls is missing or lacks "
                            + CERT + ", " + KEY + " or " + CA);
                }
            }
            return issued;
        }
        Secret caSecret = k8s.secrets().inNamespace(ns).withName(caSecret(c)).get();
        Certificates.Ca previous = caFrom(caSecret);
        Certificates.Ca ca = Certificates.ensureCa(previous, c.getMetadata().getName() + "." + ns + " cairn CA", memberSpec(c), now);
        if (previous == null || !previous.equals(ca)) {
            write(k8s, c, caSecret, caSecret(c), "Opaque", Map.of(CA, ca.bundle(), CA_KEY, ca.key()));
            issued.add(caSecret(c) + " (" + (previous == null ? "new CA" : "CA rolled over") + ")");
        }
        for (var leaf : List.of(Map.entry(memberSecret(c), memberSpec(c)), Map.entry(clientSecret(c), clientSpec(c)))) {
            Secret existing = k8s.secrets().inNamespace(ns).withName(leaf.getKey()).get();
            Certificates.Pair pair = pairFrom(existing);
            String reason = Certificates.renewalReason(pair, ca, leaf.getValue(), now);
            if (reason == null && !ca.bundle().equals(text(existing, CA))) {
                reason = "the CA bundle changed";
            }
            if (reason != null) {
                Certificates.Pair fresh = Certificates.issue(ca, leaf.getValue(), now);
                write(k8s, c, existing, leaf.getKey(), "kubernetes.io/tls", Map.of(CERT, fresh.cert(), KEY, fresh.key(), CA, ca.bundle()));
                issued.add(leaf.getKey() + " (" + reason + ")");
                log.info("CairnCluster {}/{}: TLS Secret {} issued ({}); valid until {}", ns, c.getMetadata().getName(),
                        leaf.getKey(), reason, fresh.leaf().getNotAfter().toInstant());
            }
        }
        return issued;
    }

    /** The client material the operator connects to the cluster with, or null without TLS. */
    static TlsConfig clientConfig(KubernetesClient k8s, CairnCluster c) {
        if (!enabled(c)) {
            return null;
        }
        Secret s = k8s.secrets().inNamespace(c.getMetadata().getNamespace()).withName(clientSecret(c)).get();
        if (s == null) {
            throw new IllegalStateException("TLS Secret " + clientSecret(c) + " does not exist yet");
        }
        byte[] cert = bytes(s, CERT);
        byte[] key = bytes(s, KEY);
        byte[] ca = bytes(s, CA);
        if (ca == null) {
            throw new IllegalStateException("TLS Secret " + clientSecret(c) + " has no " + CA);
        }
        return TlsConfig.pem(cert, key, ca, "Secret " + c.getMetadata().getNamespace() + "/" + clientSecret(c));
    }

    static void write(KubernetesClient k8s, CairnCluster c, Secret existing, String name, String type,
            Map<String, String> pem) {
        Map<String, String> data = new HashMap<>();
        pem.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.US_ASCII))));
        if (existing == null) {
            Secret s = new SecretBuilder().withNewMetadata().withName(name).withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Names.selector(c)).addToLabels("app.kubernetes.io/managed-by", "cairn-operator")
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(c.getApiVersion()).withKind(c.getKind())
                            .withName(c.getMetadata().getName()).withUid(c.getMetadata().getUid())
                            .withController(true).withBlockOwnerDeletion(true).build())
                    .endMetadata().withType(type).withData(data).build();
            k8s.secrets().inNamespace(c.getMetadata().getNamespace()).resource(s).create();
        } else {
            // Replaced with the resourceVersion read: a concurrent writer makes this fail, not clobber.
            k8s.secrets().inNamespace(c.getMetadata().getNamespace()).resource(new SecretBuilder(existing).withData(data).build())
                    .update();
        }
    }

    private static Certificates.Ca caFrom(Secret s) {
        String bundle = text(s, CA);
        String key = text(s, CA_KEY);
        return bundle == null || key == null ? null : new Certificates.Ca(bundle, key);
    }

    private static Certificates.Pair pairFrom(Secret s) {
        String cert = text(s, CERT);
        String key = text(s, KEY);
        return cert == null || key == null ? null : new Certificates.Pair(cert, key);
    }

    static String text(Secret s, String key) {
        byte[] b = bytes(s, key);
        return b == null ? null : new String(b, StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(Secret s, String key) {
        if (s == null || s.getData() == null || s.getData().get(key) == null) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(s.getData().get(key));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
