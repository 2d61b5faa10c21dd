package io.cairn.node.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.Resource;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.cairn.node.acl.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Verifies Kubernetes service-account tokens (projected, with an audience for Cairn): the
 * signature against the issuer's keys, the audience, the issuer, the expiry; and reads the
 * namespace, service account and pod from the {@code kubernetes.io} claim.
 *
 * <p>The keys come from a JWKS file (re-read when it changes) or from the issuer's JWKS URL,
 * cached and refreshed by nimbus-jose-jwt (a key it has not seen makes it fetch again, so a key
 * rotation needs no restart).
 */
final class ServiceAccountTokens {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512, JWSAlgorithm.PS256);

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final String audience;

    ServiceAccountTokens(AuthConfig config) throws IOException {
        this.audience = config.audience();
        JWKSource<SecurityContext> keys = config.jwks().startsWith("http://") || config.jwks().startsWith("https://")
                ? remote(config) : new FileKeys(Path.of(config.jwks()));
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        JWTClaimsSet exact = config.issuer() == null ? new JWTClaimsSet.Builder().build()
                : new JWTClaimsSet.Builder().issuer(config.issuer()).build();
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(Set.of(audience), exact, Set.of("sub", "exp"), null));
    }

    /** The identity the token proves; IllegalArgumentException with the reason it is refused. */
    Identity verify(String token) {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (java.text.ParseException e) {
            throw new IllegalArgumentException("not a JSON Web Token (" + e.getMessage() + ")");
        } catch (BadJOSEException e) {
            throw new IllegalArgumentException(explain(e.getMessage()));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the token's signature could not be checked (" + e.getMessage() + ")");
        }
        String sub = claims.getSubject();
        String pod = "";
        Object k8s = claims.getClaim("kubernetes.io");
        if (k8s instanceof Map<?, ?> m && m.get("pod") instanceof Map<?, ?> p && p.get("name") instanceof String name) {
            pod = name;
        }
        return Identity.of(sub, List.of(), pod, claims.getExpirationTime().getTime());
    }

    private String explain(String nimbus) {
        if (nimbus == null) {
            return "the token was refused";
        }
        if (nimbus.contains("Expired JWT")) {
            return "the token has expired";
        }
        if (nimbus.contains("audience") || nimbus.contains("aud claim")) {
            return "the token is not for audience \"" + audience + "\" (" + nimbus + ")";
        }
        if (nimbus.contains("Invalid signature") || nimbus.contains("no matching key")) {
            return "the token is not signed by a key of the service-account issuer (" + nimbus + ")";
        }
        return nimbus;
    }

    private static JWKSource<SecurityContext> remote(AuthConfig config) throws IOException {
        SSLSocketFactory tls = config.jwksCaFile() == null ? null : trusting(config.jwksCaFile());
        DefaultResourceRetriever fetch = new DefaultResourceRetriever(5_000, 5_000, 1 << 20, true, tls) {
            @Override
            public Resource retrieveResource(URL url) throws IOException {
                if (config.jwksBearerFile() != null) {
                    // Re-read for every fetch: the kubelet rotates a projected token in place.
                    String bearer = Files.readString(config.jwksBearerFile(), StandardCharsets.UTF_8).strip();
                    setHeaders(Map.of("Authorization", List.of("Bearer " + bearer)));
                }
                return super.retrieveResource(url);
            }
        };
        if (config.jwks().endsWith(DISCOVERY)) {
            return discovered(config.jwks(), fetch);
        }
        return keysAt(config.jwks(), fetch);
    }

    /** OpenID Connect discovery: the issuer's document names its keys' URL (jwks_uri). */
    static final String DISCOVERY = "/.well-known/openid-configuration";

    /** The keys at {@code url}, cached a quarter of an hour and fetched again for a key id not seen. */
    private static JWKSource<SecurityContext> keysAt(String url, DefaultResourceRetriever fetch) throws IOException {
        return JWKSourceBuilder.<SecurityContext>create(URI.create(url).toURL(), fetch)
                .cache(15 * 60_000L, 10_000L).retrying(true).outageTolerant(true).build();
    }

    /**
     * The keys named by the discovery document at {@code url}, read when the first token comes
     * (and again until it is read once): a member starts whether or not its issuer answers yet.
     */
    private static JWKSource<SecurityContext> discovered(String url, DefaultResourceRetriever fetch) {
        return new JWKSource<>() {
            private volatile JWKSource<SecurityContext> keys;

            @Override
            public List<com.nimbusds.jose.jwk.JWK> get(com.nimbusds.jose.jwk.JWKSelector selector, SecurityContext ctx)
                    throws com.nimbusds.jose.KeySourceException {
                JWKSource<SecurityContext> k = keys;
                if (k == null) {
                    synchronized (this) {
                        if (keys == null) {
                            try {
                                Resource doc = fetch.retrieveResource(URI.create(url).toURL());
                                Object jwksUri = com.nimbusds.jose.util.JSONObjectUtils.parse(doc.getContent()).get("jwks_uri");
                                if (!(jwksUri instanceof String u) || !(u.startsWith("https://") || u.startsWith("http://"))) {
                                    throw new IOException("it names no http(s) jwks_uri");
                                }
                                keys = keysAt(u, fetch);
                            } catch (IOException | java.text.ParseException | IllegalArgumentException e) {
                                throw new com.nimbusds.jose.KeySourceException("cannot read the issuer's discovery document "
                                        + url + ": " + e.getMessage(), e);
                            }
                        }
                        k = keys;
                    }
                }
                return k.get(selector, ctx);
            }
        };
    }

    private static SSLSocketFactory trusting(Path caFile) throws IOException {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, (X509Certificate) c);
            }
            if (i == 0) {
                throw new IOException(caFile + " holds no certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot use " + caFile + " as CA certificates: " + e.getMessage(), e);
        }
    }

    /** Keys from a JWKS file, re-read when the file changes. */
    private static final class FileKeys implements JWKSource<SecurityContext> {
        private final Path file;
        private FileTime loadedAt;
        private JWKSet keys;

        FileKeys(Path file) throws IOException {
            this.file = file;
            load();
        }

        @Override
        public synchronized List<com.nimbusds.jose.jwk.JWK> get(com.nimbusds.jose.jwk.JWKSelector selector, SecurityContext ctx) {
            try {
                if (!Files.getLastModifiedTime(file).equals(loadedAt)) {
                    load();
                }
            } catch (IOException e) {
                // Keep the keys last read.
            }
            return selector.select(keys);
        }

        private void load() throws IOException {
            FileTime at = Files.getLastModifiedTime(file);
            try {
                keys = JWKSet.parse(Files.readString(file, StandardCharsets.UTF_8));
            } catch (java.text.ParseException e) {
                throw new IOException(file + " is not a JWKS document: " + e.getMessage(), e);
            }
            loadedAt = at;
        }
    }
}
