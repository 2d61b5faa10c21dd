package io.cairn.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A CairnCluster's authorization, when {@code spec.auth.enabled}: members enforce the policy
 * and verify service-account tokens against the issuer's keys; the operator holds an admin token
 * in NAME-auth (owned by the cluster) that members accept, and a joining member shows; the
 * policy the operator keeps is the default one (namespaced config, own presence) and the spec's
 * rules, under /ctl/acl/rules/operator-* and spec-*. Rules written there by hand under other
 * names are the users' and stay.
 */
final class ClusterAuth {
    static final String DIR = "/etc/cairn-auth";
    static final String TOKEN = "token";
    static final String TOKEN_FILE = "tokens.csv";
    /** Where the policy's rules live in the tree. */
    static final String RULES = "/ctl/acl/rules";
    /** Where a pod's own service-account token and the cluster CA are mounted. */
    static final String SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
    /** The identity of the operator's token. */
    static final String OPERATOR = "cairn-operator";
    /** Prefixes of the rule names the operator keeps. */
    static final List<String> MANAGED = List.of("operator-", "spec-");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterAuth() {}

    static boolean enabled(CairnCluster c) {
        return c.getSpec().getAuth() != null && c.getSpec().getAuth().isEnabled();
    }

    static String secret(CairnCluster c) {
        return c.getMetadata().getName() + "-auth";
    }

    /** Makes NAME-auth once (a new random token); true when it made it. */
    static boolean ensure(KubernetesClient k8s, CairnCluster c) {
        if (!enabled(c)) {
            return false;
        }
        Secret existing = k8s.secrets().inNamespace(c.getMetadata().getNamespace()).withName(secret(c)).get();
        if (ClusterTls.text(existing, TOKEN) != null) {
            return false;
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        ClusterTls.write(k8s, c, existing, secret(c), "Opaque", Map.of(TOKEN, token,
                TOKEN_FILE, token + "," + OPERATOR + ",0,\"cairn:admins\"\n"));
        return true;
    }

    /** The operator's token, or null when authorization is off; fails while NAME-auth is missing. */
    static String token(KubernetesClient k8s, CairnCluster c) {
        if (!enabled(c)) {
            return null;
        }
        String t = ClusterTls.text(k8s.secrets().inNamespace(c.getMetadata().getNamespace()).withName(secret(c)).get(), TOKEN);
        if (t == null) {
            throw new IllegalStateException("Secret " + secret(c) + " has no " + TOKEN + " yet");
        }
        return t;
    }

    /** The members' flags, empty when authorization is off. */
    static String memberFlags(CairnCluster c) {
        if (!enabled(c)) {
            return "";
        }
        CairnClusterSpec.Auth a = c.getSpec().getAuth();
        return " --auth on --auth-token-file " + DIR + "/" + TOKEN_FILE + " --join-token-file " + DIR + "/" + TOKEN
                + " --auth-jwks " + a.jwks() + " --auth-jwks-token-file " + SA_DIR + "/token --auth-jwks-ca " + SA_DIR + "/ca.crt"
                + " --auth-audience " + a.audienceOrDefault() + (a.getIssuer() == null ? "" : " --auth-issuer " + a.getIssuer());
    }

    /** The rules the operator keeps, by name, as JSON: the default policy, then the spec's. */
    static Map<String, String> rules(CairnCluster c) {
        Map<String, String> out = new TreeMap<>();
        if (!enabled(c)) {
            return out;
        }
        CairnClusterSpec.Auth a = c.getSpec().getAuth();
        if (a.writesDefaultPolicy()) {
            out.put("operator-sidecar-config", rule("group:system:serviceaccounts", "/config/{namespace}/**", List.of("read", "watch")));
            out.put("operator-sidecar-presence", rule("group:system:serviceaccounts", "/presence/{namespace}/*/{pod}", List.of("write")));
        }
        if (a.getRules() != null) {
            for (CairnClusterSpec.Rule r : a.getRules()) {
                out.put("spec-" + r.getName(), rule(r.getSubject(), r.getPath(), r.getRights()));
            }
        }
        return out;
    }

    private static String rule(String subject, String path, List<String> rights) {
        ObjectNode o = JSON.createObjectNode().put("subject", subject).put("path", path);
        rights.forEach(o.putArray("rights")::add);
        return o.toString();
    }

    /** What is wrong with the spec's auth, or null. */
    static String invalid(CairnClusterSpec.Auth a) {
        if (a == null || a.getRules() == null) {
            return null;
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (CairnClusterSpec.Rule r : a.getRules()) {
            if (r.getName() == null || !r.getName().matches("[A-Za-z0-9._-]+")) {
                return "auth.rules: a rule needs a name of letters, digits, '.', '_' and '-', got \"" + r.getName() + "\"";
            }
            if (!names.add(r.getName())) {
                return "auth.rules: the name \"" + r.getName() + "\" is used twice";
            }
            if (r.getSubject() == null || r.getSubject().isBlank()) {
                return "auth.rules." + r.getName() + ": subject is required";
            }
            if (r.getPath() == null || !r.getPath().startsWith("/")) {
                return "auth.rules." + r.getName() + ": path must start with /";
            }
            if (r.getRights() == null || r.getRights().isEmpty()
                    || !List.of("read", "write", "watch", "admin").containsAll(r.getRights())) {
                return "auth.rules." + r.getName() + ": rights are one or more of read, write, watch, admin; got " + r.getRights();
            }
        }
        return null;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
