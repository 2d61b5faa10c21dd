package io.cairn.node.testing;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.Map;

/**
 * A service-account issuer for tests: an RSA key whose public half is written as a JWKS file, and
 * tokens signed with it shaped as the Kubernetes TokenRequest API makes them (sub, aud, exp and
 * the kubernetes.io claim with namespace, pod and service account).
 */
public final class TestTokens {
    public static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
    private final RSAKey key;
    private final Path jwks;

    private TestTokens(RSAKey key, Path jwks) {
        this.key = key;
        this.jwks = jwks;
    }

    /** A new issuer whose JWKS is written to {@code dir/jwks.json}. */
    public static TestTokens create(Path dir) throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("sa-key-1").generate();
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
        return new TestTokens(key, jwks);
    }

    public Path jwksFile() {
        return jwks;
    }

    /** A token for pod {@code pod} of service account {@code ns:sa}, for {@code audience}, valid {@code validMs} from now (negative: expired). */
    public String token(String ns, String sa, String pod, String audience, long validMs) throws Exception {
        return sign(key, ns, sa, pod, audience, validMs);
    }

    /** The same, signed by a key of nobody's. */
    public static String forged(String ns, String sa, String pod, String audience) throws Exception {
        return sign(new RSAKeyGenerator(2048).keyID("sa-key-1").generate(), ns, sa, pod, audience, 3_600_000);
    }

    private static String sign(RSAKey signer, String ns, String sa, String pod, String audience, long validMs) throws Exception {
        long now = System.currentTimeMillis();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).subject("system:serviceaccount:" + ns + ":" + sa)
                .audience(audience).issueTime(new Date(now - 1000)).notBeforeTime(new Date(now - 1000))
                .expirationTime(new Date(now + validMs))
                .claim("kubernetes.io", Map.of("namespace", ns, "pod", Map.of("name", pod, "uid", "uid-" + pod),
                        "serviceaccount", Map.of("name", sa, "uid", "uid-" + sa)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signer.getKeyID()).build(), claims);
        jwt.sign(new RSASSASigner(signer));
        return jwt.serialize();
    }
}
