package io.cairn.operator;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the injection webhook's certificate: on start and every hour it reads the Secret, issues
 * or renews the certificate when it must ({@link WebhookCertificates}), stores it back, hands it
 * to the running server, and makes the MutatingWebhookConfiguration trust the CA bundle
 * ({@code caBundle} of each webhook that calls our Service). Writes use the Secret's
 * resourceVersion, so two operators racing cannot both win; the loser reads again next round.
 */
final class WebhookCertManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookCertManager.class);
    static final Duration CHECK_EVERY = Duration.ofHours(1);
    static final Duration RETRY_AFTER = Duration.ofSeconds(20);

    private final KubernetesClient k8s;
    private final String namespace;
    private final String secretName;
    private final String service;
    private final String webhookConfig;
    private final ReloadingKeyManager keys;
    private final Clock clock;
    private final List<String> dnsNames;
    private ScheduledExecutorService timer;

    WebhookCertManager(KubernetesClient k8s, String namespace, String secretName, String service, String webhookConfig,
                       ReloadingKeyManager keys, Clock clock) {
        this.k8s = k8s;
        this.namespace = namespace;
        this.secretName = secretName;
        this.service = service;
        this.webhookConfig = webhookConfig;
        this.keys = keys;
        this.clock = clock;
        this.dnsNames = WebhookCertificates.serviceNames(service, namespace);
    }

    /** Makes sure a valid certificate is stored, served and trusted; returns what is stored. */
    synchronized WebhookCertificates.Bundle ensure() throws GeneralSecurityException {
        Secret secret = k8s.secrets().inNamespace(namespace).withName(secretName).get();
        WebhookCertificates.Bundle bundle = secret == null ? null : WebhookCertificates.Bundle.fromSecretData(secret.getData());
        String reason = WebhookCertificates.renewalReason(bundle, dnsNames, clock.instant());
        if (reason != null) {
            WebhookCertificates.Bundle fresh = WebhookCertificates.issue(bundle, dnsNames, clock.instant());
            store(secret, fresh);
            log.info("webhook certificate for {} issued ({}); valid until {}, CA until {}", dnsNames.get(dnsNames.size() - 1),
                    reason, fresh.serving().getNotAfter().toInstant(), fresh.currentCa().getNotAfter().toInstant());
            bundle = fresh;
        }
        if (keys.serving() == null || !keys.serving().equals(bundle.serving())) {
            keys.use(bundle.cert(), bundle.key());
        }
        trust(bundle.caBundle());
        return bundle;
    }

    private void store(Secret existing, WebhookCertificates.Bundle b) {
        if (existing == null) {
            k8s.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName(secretName)
                    .withNamespace(namespace).addToLabels("app.kubernetes.io/managed-by", "cairn-operator").endMetadata()
                    .withType("Opaque").withData(b.secretData()).build()).create();
        } else {
            // Replaced with the resourceVersion read: a concurrent writer makes this fail, not clobber.
            Secret updated = new SecretBuilder(existing).withData(b.secretData()).build();
            k8s.secrets().inNamespace(namespace).resource(updated).update();
        }
    }

    /** Puts the CA bundle in every webhook of the configuration that calls our Service. */
    private void trust(String caBundlePem) {
        MutatingWebhookConfiguration mwc = k8s.admissionRegistration().v1().mutatingWebhookConfigurations()
                .withName(webhookConfig).get();
        if (mwc == null) {
            log.warn("webhook configuration {} not found; pods are not injected until it exists", webhookConfig);
            return;
        }
        String encoded = Base64.getEncoder().encodeToString(caBundlePem.getBytes(StandardCharsets.US_ASCII));
        boolean changed = false;
        for (MutatingWebhook w : mwc.getWebhooks()) {
            if (w.getClientConfig() != null && w.getClientConfig().getService() != null
                    && service.equals(w.getClientConfig().getService().getName())
                    && namespace.equals(w.getClientConfig().getService().getNamespace())
                    && !Objects.equals(encoded, w.getClientConfig().getCaBundle())) {
                w.getClientConfig().setCaBundle(encoded);
                changed = true;
            }
        }
        if (changed) {
            k8s.admissionRegistration().v1().mutatingWebhookConfigurations().resource(mwc).update();
            log.info("webhook configuration {} now trusts the webhook CA", webhookConfig);
        }
    }

    /** Ensures now, then every hour; after a failure, again in twenty seconds. */
    void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-webhook-certs");
            t.setDaemon(true);
            return t;
        });
        timer.execute(this::round);
    }

    private void round() {
        Duration next = CHECK_EVERY;
        try {
            ensure();
        } catch (KubernetesClientException e) {
            log.warn("webhook certificate: the API server refused ({} {}); retrying in {} s", e.getCode(),
                    e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage(), RETRY_AFTER.toSeconds());
            next = RETRY_AFTER;
        } catch (GeneralSecurityException | RuntimeException e) {
            log.warn("webhook certificate: {}; retrying in {} s", e.getMessage(), RETRY_AFTER.toSeconds());
            next = RETRY_AFTER;
        }
        if (!timer.isShutdown()) {
            timer.schedule(this::round, next.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
