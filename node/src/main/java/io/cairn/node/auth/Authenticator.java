package io.cairn.node.auth;

import io.cairn.node.acl.Identity;
import java.io.IOException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Turns what a client shows into an {@link Identity}: its TLS certificate (the URI SAN if it has
 * one, else the subject CN; each O a group), or a token it sends with ACCESS or as an HTTP
 * bearer (a static token from the token file, or a service-account JWT). Identities named by
 * {@code --auth-admin} join {@code cairn:admins}. Thread-safe.
 */
public final class Authenticator {
    private final AuthConfig config;
    private final TokenFile tokens;
    private final ServiceAccountTokens serviceAccounts;

    public Authenticator(AuthConfig config) throws IOException {
        this.config = config;
        this.tokens = config.tokenFile() == null ? null : new TokenFile(config.tokenFile());
        this.serviceAccounts = config.jwks() == null ? null : new ServiceAccountTokens(config);
    }

    public static Authenticator off() {
        try {
            return new Authenticator(AuthConfig.OFF);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether a token shown to this member is ignored: it neither enforces the policy nor has
     * anything to check a token with (a dev cluster). Doozer's ACCESS to a server without a
     * secret succeeds the same way, and a sidecar that mounts its token works against it.
     */
    public boolean ignoresTokens() {
        return !config.enforce() && tokens == null && serviceAccounts == null;
    }

    /** Whether requests are checked against the policy. */
    public boolean enforcing() {
        return config.enforce();
    }

    /** Who the certificate chain's leaf names; anonymous without one. */
    public Identity fromCertificates(Certificate[] chain) {
        if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            return Identity.ANONYMOUS;
        }
        String name = null;
        List<String> groups = new ArrayList<>();
        try {
            if (leaf.getSubjectAlternativeNames() != null) {
                for (List<?> san : leaf.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(6).equals(san.get(0)) && name == null) { // uniformResourceIdentifier
                        name = String.valueOf(san.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // Fall back to the subject.
        }
        try {
            for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && name == null) {
                    name = String.valueOf(rdn.getValue());
                } else if (rdn.getType().equalsIgnoreCase("O")) {
                    groups.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException e) {
            return Identity.ANONYMOUS;
        }
        if (name == null) {
            return Identity.ANONYMOUS;
        }
        return admitted(Identity.named(name, groups, leaf.getNotAfter().getTime()));
    }

    /**
     * Who {@code token} proves the caller to be; IllegalArgumentException saying why not (an
     * unknown token, an expired, wrongly signed or wrong-audience service-account token).
     */
    public Identity fromToken(String token) {
        String t = token == null ? "" : token.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty token");
        }
        if (tokens != null) {
            Identity known = tokens.lookup(t);
            if (known != null) {
                return admitted(known);
            }
        }
        boolean jwt = t.chars().filter(c -> c == '.').count() == 2;
        if (jwt && serviceAccounts != null) {
            return admitted(serviceAccounts.verify(t));
        }
        if (jwt) {
            throw new IllegalArgumentException("service-account tokens are not accepted here (the member has no --auth-jwks)");
        }
        throw new IllegalArgumentException(tokens == null ? "bearer tokens are not accepted here (the member has no --auth-token-file)"
                : "unknown token");
    }

    private Identity admitted(Identity who) {
        for (String pattern : config.admins()) {
            if (io.cairn.node.acl.Subjects.matches(pattern, who.name())) {
                return who.withGroup(Identity.ADMINS);
            }
        }
        return who;
    }
}
