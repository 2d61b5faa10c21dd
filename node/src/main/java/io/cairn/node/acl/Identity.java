package io.cairn.node.acl;

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

    /** A plain named identity (certificate or token user), authenticated. */
    public static Identity named(String name, List<String> groups, long expiresAtMs) {
        List<String> all = new java.util.ArrayList<>(groups);
        if (!all.contains(AUTHENTICATED)) {
            all.add(AUTHENTICATED);
        }
        return new Identity(name, all, "", "", "", expiresAtMs);
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

    /** As a command's author: the fields that are set, built once. */
    public io.cairn.proto.State.Identity toProto() {
        io.cairn.proto.State.Identity p = proto;
        if (p == null) {
            var b = io.cairn.proto.State.Identity.newBuilder().setName(name).addAllGroups(groups);
            if (!namespace.isEmpty()) {
                b.setNamespace(namespace);
            }
            if (!serviceAccount.isEmpty()) {
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

    public static Identity fromProto(io.cairn.proto.State.Identity p) {
        return new Identity(p.getName(), p.getGroupsList(), p.getNamespace(), p.getServiceAccount(), p.getPod(), 0);
    }

    /** As WHOAMI answers it. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\"name\":").append(quote(name)).append(",\"groups\":[");
        for (int i = 0; i < groups.size(); i++) {
            b.append(i == 0 ? "" : ",").append(quote(groups.get(i)));
        }
        b.append(']');
        if (!namespace.isEmpty()) {
            b.append(",\"namespace\":").append(quote(namespace));
        }
        if (!serviceAccount.isEmpty()) {
            b.append(",\"serviceAccount\":").append(quote(serviceAccount));
        }
        if (!pod.isEmpty()) {
            b.append(",\"pod\":").append(quote(pod));
        }
        if (expiresAtMs > 0) {
            b.append(",\"expiresAtMs\":").append(expiresAtMs);
        }
        return b.append('}').toString();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
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
