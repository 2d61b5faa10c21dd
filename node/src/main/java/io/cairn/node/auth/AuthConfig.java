package io.cairn.node.auth;

import java.nio.file.Path;
import java.util.List;

/**
 * How a member establishes who its clients are, and whether it enforces the policy.
 *
 * @param enforce check every request against the policy under /ctl/acl (deny by default); off:
 *     every caller may do everything (a local dev cluster), identities are still recorded
 * @param admins identity names (with {@code *} wildcards) put in the {@code cairn:admins} group,
 *     which holds every right: the operator, the members themselves, whoever bootstraps the policy
 * @param tokenFile static bearer tokens, one per line {@code TOKEN,NAME[,UID[,"GROUP1,GROUP2"]]}
 *     (the Kubernetes API server's token file), or null
 * @param jwks the service-account issuer's public keys: a JWKS file, an http(s) URL (the
 *     issuer's {@code /openid/v1/jwks}), or its OIDC discovery document's URL (ending
 *     {@code /.well-known/openid-configuration}); or null
 * @param jwksBearerFile a token sent to fetch {@code jwks} (a pod's own service-account token,
 *     which an API server asks for), or null
 * @param jwksCaFile the CA certificates {@code jwks} is served under, or null for the JDK's
 * @param issuer the {@code iss} a service-account token must name, or null for any
 * @param audience the {@code aud} a service-account token must hold
 * @param joinTokenFile the token this member shows (ACCESS) when it joins a cluster through
 *     --join, whose members then let it add itself: one of an admin's; or null
 */
public record AuthConfig(boolean enforce, List<String> admins, Path tokenFile, String jwks, Path jwksBearerFile,
        Path jwksCaFile, String issuer, String audience, Path joinTokenFile) {
    public static final String DEFAULT_AUDIENCE = "cairn";

    /** Nothing enforced, nothing to authenticate with but client certificates. */
    public static final AuthConfig OFF = new AuthConfig(false, List.of(), null, null, null, null, null, DEFAULT_AUDIENCE, null);

    /** Without a join token. */
    public AuthConfig(boolean enforce, List<String> admins, Path tokenFile, String jwks, Path jwksBearerFile,
            Path jwksCaFile, String issuer, String audience) {
        this(enforce, admins, tokenFile, jwks, jwksBearerFile, jwksCaFile, issuer, audience, null);
    }

    public AuthConfig {
        admins = List.copyOf(admins);
        audience = audience == null || audience.isBlank() ? DEFAULT_AUDIENCE : audience;
    }
}
