package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator makes, stores, serves, trusts and renews the webhook certificate itself. */
class WebhookCertManagerTest {
    private static final String NS = "cairn-system";
    private static final String SERVICE = "cairn-operator-webhook";
    private KubernetesMockServer server;
    private KubernetesClient k8s;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        k8s = server.createClient();
        k8s.admissionRegistration().v1().mutatingWebhookConfigurations().resource(new MutatingWebhookConfigurationBuilder()
                .withNewMetadata().withName("cairn-operator").endMetadata()
                .addNewWebhook().withName("sidecar.cairn.io").withNewClientConfig().withNewService().withName(SERVICE)
                .withNamespace(NS).withPath("/mutate").endService().endClientConfig().endWebhook()
                .addNewWebhook().withName("other.example.com").withNewClientConfig().withNewService().withName("other")
                .withNamespace(NS).endService().endClientConfig().endWebhook()
                .build()).create();
    }

    @AfterEach
    void stop() {
        k8s.close();
        server.destroy();
    }

    private WebhookCertManager manager(ReloadingKeyManager keys, Instant now) {
        return new WebhookCertManager(k8s, NS, "cairn-operator-webhook-cert", SERVICE, "cairn-operator", keys,
                Clock.fixed(now, ZoneOffset.UTC));
    }

    private String caBundle(String webhook) {
        MutatingWebhookConfiguration m = k8s.admissionRegistration().v1().mutatingWebhookConfigurations().withName("cairn-operator").get();
        return m.getWebhooks().stream().filter(w -> w.getName().equals(webhook)).findFirst().orElseThrow().getClientConfig().getCaBundle();
    }

    /** The certificate a TLS client that trusts only {@code caBundleB64} gets from the server. */
    private static X509Certificate handshake(InetSocketAddress addr, String caBundleB64) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Base64.getDecoder().decode(caBundleB64)))) {
            trust.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        // Connected on loopback but speaking to the Service's DNS name, whose presence in the
        // certificate is checked, as the API server checks it.
        java.net.Socket plain = new java.net.Socket(addr.getAddress(), addr.getPort());
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, SERVICE + "." + NS + ".svc", addr.getPort(), true)) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    @Test
    void issuesStoresServesAndTrustsACertificateThenRenewsItBeforeItExpires() throws Exception {
        // Issued 75 days ago: still valid for TLS clients today, and due for renewal today.
        Instant now = Instant.now();
        Instant day0 = now.minus(Duration.ofDays(75));
        ReloadingKeyManager keys = new ReloadingKeyManager();
        WebhookCertificates.Bundle first = manager(keys, day0).ensure();

        Secret secret = k8s.secrets().inNamespace(NS).withName("cairn-operator-webhook-cert").get();
        assertThat(secret.getData()).containsKeys("tls.crt", "tls.key", "ca.crt", "ca.key");
        X509Certificate cert = first.serving();
        List<Object> sans = cert.getSubjectAlternativeNames().stream().map(san -> (Object) san.get(1)).toList();
        assertThat(sans).contains(SERVICE, SERVICE + "." + NS, SERVICE + "." + NS + ".svc");
        cert.verify(first.currentCa().getPublicKey());
        String bundle = caBundle("sidecar.cairn.io");
        assertThat(new String(Base64.getDecoder().decode(bundle), StandardCharsets.US_ASCII)).isEqualTo(first.caBundle());
        assertThat(caBundle("other.example.com")).as("another service's webhook is left alone").isNull();

        // Nothing to do a day later: the same certificate stays, nothing is rewritten.
        String version = secret.getMetadata().getResourceVersion();
        assertThat(manager(keys, day0.plus(Duration.ofDays(1))).ensure().cert()).isEqualTo(first.cert());
        assertThat(k8s.secrets().inNamespace(NS).withName("cairn-operator-webhook-cert").get().getMetadata().getResourceVersion())
                .isEqualTo(version);

        try (WebhookServer web = new WebhookServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), keys,
                new SidecarInjector("sidecar:test"))) {
            assertThat(handshake(web.address(), bundle)).isEqualTo(cert);

            // Today, within a month of expiry: a new certificate from the same CA, served at
            // once by the running server, and still trusted through the same bundle.
            WebhookCertificates.Bundle renewed = manager(keys, now).ensure();
            assertThat(renewed.cert()).isNotEqualTo(first.cert());
            assertThat(renewed.currentCa()).isEqualTo(first.currentCa());
            assertThat(caBundle("sidecar.cairn.io")).isEqualTo(bundle);
            assertThat(handshake(web.address(), bundle)).isEqualTo(renewed.serving());
        }
    }

    @Test
    void aNewCaKeepsTheOldOneTrustedUntilItExpires() {
        Instant day0 = Instant.parse("2026-01-01T00:00:00Z");
        List<String> names = WebhookCertificates.serviceNames(SERVICE, NS);
        WebhookCertificates.Bundle first = WebhookCertificates.issue(null, names, day0);
        // Ten years less two months on, the CA cannot outlive another certificate plus the renewal window.
        Instant late = first.currentCa().getNotAfter().toInstant().minus(Duration.ofDays(60));
        assertThat(WebhookCertificates.renewalReason(first, names, late)).contains("expires");
        WebhookCertificates.Bundle next = WebhookCertificates.issue(first, names, late);
        assertThat(next.currentCa()).isNotEqualTo(first.currentCa());
        assertThat(Certificates.certificates(next.caBundle())).containsExactly(next.currentCa(), first.currentCa());
        assertThat(WebhookCertificates.renewalReason(next, names, late)).isNull();
    }

    @Test
    void aDamagedOrForeignSecretIsReplaced() throws Exception {
        Instant now = Instant.parse("2026-03-01T00:00:00Z");
        k8s.secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
                .withName("cairn-operator-webhook-cert").withNamespace(NS).endMetadata()
                .addToData("tls.crt", "bm90IGEgY2VydA==").addToData("tls.key", "eA==").addToData("ca.crt", "eA==")
                .addToData("ca.key", "eA==").build()).create();
        assertThat(WebhookCertificates.renewalReason(WebhookCertificates.Bundle.fromSecretData(
                k8s.secrets().inNamespace(NS).withName("cairn-operator-webhook-cert").get().getData()), List.of(SERVICE), now))
                .contains("unreadable");
        WebhookCertificates.Bundle b = manager(new ReloadingKeyManager(), now).ensure();
        assertThat(WebhookCertificates.renewalReason(b, WebhookCertificates.serviceNames(SERVICE, NS), now)).isNull();
        // A certificate for other names is not kept either.
        assertThat(WebhookCertificates.renewalReason(b, List.of("elsewhere.svc"), now)).contains("not [elsewhere.svc]");
    }
}
