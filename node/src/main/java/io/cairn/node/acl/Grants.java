package io.cairn.node.acl;

import io.cairn.node.store.Err;
import io.cairn.node.store.Glob;
import io.cairn.node.store.StoreException;
import java.util.List;
import java.util.Map;

/** What the policy lets one identity do: for each right, the globs it holds it on. */
public final class Grants {
    /** An admin's: everything. */
    static final Grants ALL = new Grants(null, Map.of());

    record Grant(String rule, Glob glob) {}

    private final String who;
    private final Map<Right, List<Grant>> byRight;

    Grants(String who, Map<Right, List<Grant>> byRight) {
        this.who = who;
        this.byRight = byRight;
    }

    public boolean all() {
        return this == ALL;
    }

    /** Whether {@code right} is held on the file or directory {@code path}. */
    public boolean allows(String path, Right right) {
        if (this == ALL) {
            return true;
        }
        for (Grant g : byRight.getOrDefault(right, List.of())) {
            if (g.glob().matches(path)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code right} may be held on anything at or under {@code prefix}: the gate of a
     * listing or watch, whose results are then filtered path by path with {@link #allows}.
     */
    public boolean mayReach(String prefix, Right right) {
        if (this == ALL) {
            return true;
        }
        String p = prefix.endsWith("/") ? prefix : prefix + "/";
        for (Grant g : byRight.getOrDefault(right, List.of())) {
            String lit = g.glob().literalPrefix();
            String l = lit.endsWith("/") ? lit : lit + "/";
            if (l.startsWith(p) || p.startsWith(l)) {
                return true;
            }
        }
        return false;
    }

    /** PERMISSION_DENIED naming the identity, the right and the path, unless it is held. */
    public void check(String path, Right right) {
        if (!allows(path, right)) {
            throw denied(who, path, right);
        }
    }

    /** PERMISSION_DENIED unless {@link #mayReach} holds. */
    public void checkReach(String prefix, Right right) {
        if (!mayReach(prefix, right)) {
            throw denied(who, prefix, right);
        }
    }

    static StoreException denied(String who, String path, Right right) {
        return new StoreException(Err.PERMISSION_DENIED, "identity " + who + " lacks the " + right.word()
                + " right on " + path);
    }
}
