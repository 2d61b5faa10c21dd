package io.cairn.node.acl;

import io.cairn.net.JsonText;
import java.util.List;
import java.util.Objects;

/**
 * Who a request comes from, as the member that took it authenticated them: a client
 * certificate's name, a bearer token's user, or a Kubernetes service account (then with the
 * namespace, service account and pod the policy's placeholders refer to).
 *
 * <p>Two identities are equal when they name the same caller (name, groups, namespace, service
 * account, pod), whatever their credentials' expiry: the policy's grants are cached by identity.
 * The hash and the protobuf form are computed once, as every write carries its author.
 */
public final class Identity {
    /** Every member's operators, and whoever the member's --auth-admin names: every right everywhere. */
    public static final String ADMINS = "cairn:admins";
    public static final String AUTHENTICATED = "system:authenticated";
    public static final String UNAUTHENTICATED = "system:unauthenticated";
    public static final Identity ANONYMOUS = new Identity("anonymous", List.of(UNAUTHENTICATED), "", "", "", 0);

    private final String name;
    private final List<String> groups;
    private final String namespace;
    private final String serviceAccount;
    private final String pod;
    private final long expiresAtMs;
    private final int hash;
    private volatile io.cairn.proto.State.Identity proto;

    /**
     * @param expiresAtMs when the credential it came from expires (ms since the epoch; 0: never)
     */
    public Identity(String name, List<String> groups, String namespace, String serviceAccount, String pod, long expiresAtMs) {
        this.name = Objects.requireNonNull(name);
        this.groups = List.copyOf(groups);
        this.namespace = namespace == null ? "" : namespace;
        this.serviceAccount = serviceAccount == null ? "" : serviceAccount;
        this.pod = pod == null ? "" : pod;
        this.expiresAtMs = expiresAtMs;
        this.hash = Objects.hash(this.name, this.groups, this.namespace, this.serviceAccount, this.pod);
    }

    public String name() {
        return name;
    }

    public List<String> groups() {
        return groups;
    }

    public String namespace() {
        return namespace;
    }

    public String serviceAccount() {
        return serviceAccount;
    }

    public String pod() {
        return pod;
    }

    public long expiresAtMs() {
        return expiresAtMs;
    }

    /** A named identity (certificate or token user), authenticated. */
    public static Identity named(String name, List<String> groups, long expiresAtMs) {
        return of(name, groups, "", expiresAtMs);
    }

    public boolean anonymous() {
        return groups.contains(UNAUTHENTICATED);
    }

    public boolean admin() {
        return groups.contains(ADMINS);
    }

    /** The same identity in one more group (no copy when it is in it already). */
    public Identity withGroup(String group) {
        if (groups.contains(group)) {
            return this;
        }
        List<String> all = new java.util.ArrayList<>(groups);
        all.add(group);
        return new Identity(name, all, namespace, serviceAccount, pod, expiresAtMs);
    }

    /**
     * As a command's author, built once, and short: every write in the log carries it (a tenth of
     * a 256-byte write's bytes in its first form, and as much of the write throughput). What
     * {@link #fromProto} derives is left out: {@code system:authenticated} (implied unless
     * anonymous), and for a service account its namespace, its name and its two groups (all in
     * {@code system:serviceaccount:NS:SA}).
     */
    public io.cairn.proto.State.Identity toProto() {
        io.cairn.proto.State.Identity p = proto;
        if (p == null) {
            String[] sa = serviceAccountParts(name);
            var b = io.cairn.proto.State.Identity.newBuilder().setName(name);
            for (String g : groups) {
                boolean derived = g.equals(AUTHENTICATED)
                        || sa != null && (g.equals(SERVICE_ACCOUNTS) || g.equals(SERVICE_ACCOUNTS + ":" + sa[0]));
                if (!derived) {
                    b.addGroups(g);
                }
            }
            if (sa == null && !namespace.isEmpty()) {
                b.setNamespace(namespace);
            }
            if (sa == null && !serviceAccount.isEmpty()) {
                b.setServiceAccount(serviceAccount);
            }
            if (!pod.isEmpty()) {
                b.setPod(pod);
            }
            p = b.build();
            proto = p;
        }
        return p;
    }

    /** The identity {@link #toProto} wrote: what it left out derived again. */
    public static Identity fromProto(io.cairn.proto.State.Identity p) {
        Identity who = of(p.getName(), p.getGroupsList(), p.getPod(), 0);
        if (serviceAccountParts(p.getName()) == null && (p.hasNamespace() || p.hasServiceAccount())) {
            return new Identity(who.name, who.groups, p.getNamespace(), p.getServiceAccount(), who.pod, 0);
        }
        return who;
    }

    /**
     * An authenticated caller named {@code name}, in {@code groups} and {@code system:authenticated}
     * (unless in {@code system:unauthenticated}); a name {@code system:serviceaccount:NS:SA} is a
     * Kubernetes service account, of namespace NS and in its groups, running as {@code pod}.
     */
    public static Identity of(String name, List<String> groups, String pod, long expiresAtMs) {
        List<String> all = new java.util.ArrayList<>(groups);
        String[] sa = serviceAccountParts(name);
        if (sa != null) {
            addMissing(all, SERVICE_ACCOUNTS);
            addMissing(all, SERVICE_ACCOUNTS + ":" + sa[0]);
        }
        if (!all.contains(UNAUTHENTICATED)) {
            addMissing(all, AUTHENTICATED);
        }
        return new Identity(name, all, sa == null ? "" : sa[0], sa == null ? "" : sa[1], pod, expiresAtMs);
    }

    static final String SERVICE_ACCOUNTS = "system:serviceaccounts";

    /** {NS, SA} of a name {@code system:serviceaccount:NS:SA}, else null. */
    public static String[] serviceAccountParts(String name) {
        if (!name.startsWith("system:serviceaccount:")) {
            return null;
        }
        String[] parts = name.split(":");
        return parts.length == 4 && !parts[2].isEmpty() && !parts[3].isEmpty() ? new String[] {parts[2], parts[3]} : null;
    }

    private static void addMissing(List<String> groups, String g) {
        if (!groups.contains(g)) {
            groups.add(g);
        }
    }

    /** As WHOAMI answers it. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\"name\":").append(JsonText.quote(name)).append(",\"groups\":[");
        for (int i = 0; i < groups.size(); i++) {
            b.append(i == 0 ? "" : ",").append(JsonText.quote(groups.get(i)));
        }
        b.append(']');
        if (!namespace.isEmpty()) {
            b.append(",\"namespace\":").append(JsonText.quote(namespace));
        }
        if (!serviceAccount.isEmpty()) {
            b.append(",\"serviceAccount\":").append(JsonText.quote(serviceAccount));
        }
        if (!pod.isEmpty()) {
            b.append(",\"pod\":").append(JsonText.quote(pod));
        }
        if (expiresAtMs > 0) {
            b.append(",\"expiresAtMs\":").append(expiresAtMs);
        }
        return b.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Identity i && hash == i.hash && name.equals(i.name) && groups.equals(i.groups)
                && namespace.equals(i.namespace) && serviceAccount.equals(i.serviceAccount) && pod.equals(i.pod);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return toJson();
    }
}
