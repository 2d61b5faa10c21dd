package io.cairn.node.acl;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The rules under /ctl/acl/rules as of one revision, and what they grant each identity. It is
 * immutable but for a cache of those grants, so the request threads of a member and its
 * replica's loop share one.
 */
public final class Policy {
    public static final Policy EMPTY = new Policy(List.of());
    private static final int CACHE_LIMIT = 4096;

    private final List<Rule> rules;
    // Synchronized, not concurrent: the package is pure (PurityTest), and a lookup is short.
    private final Map<Identity, Grants> cache = java.util.Collections.synchronizedMap(new java.util.HashMap<>());

    public Policy(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public List<Rule> rules() {
        return rules;
    }

    /** What the rules grant {@code who}: every right everywhere for an admin. */
    public Grants grantsFor(Identity who) {
        // Identities equal whatever their credentials' expiry: one entry per caller.
        Grants g = cache.get(who);
        if (g == null) {
            g = compute(who);
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(who, g);
        }
        return g;
    }

    private Grants compute(Identity who) {
        if (who.admin()) {
            return Grants.ALL;
        }
        Map<Right, List<Grants.Grant>> by = new EnumMap<>(Right.class);
        for (Rule r : rules) {
            if (!r.appliesTo(who)) {
                continue;
            }
            var glob = r.globFor(who);
            if (glob == null) {
                continue;
            }
            for (Right right : Right.values()) {
                // The admin right on a path includes every other right there.
                if (r.rights().contains(right) || r.rights().contains(Right.ADMIN)) {
                    by.computeIfAbsent(right, x -> new ArrayList<>()).add(new Grants.Grant(r.name(), glob));
                }
            }
        }
        return new Grants(who.name(), by);
    }
}
