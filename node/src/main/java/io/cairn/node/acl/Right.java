package io.cairn.node.acl;

import io.cairn.node.store.Err;
import io.cairn.node.store.StoreException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** What a rule lets a caller do to the paths it names. */
public enum Right {
    /** GET, STAT, GETDIR, WALK, HISTORY, DIFF, and a transaction's compares and GETs. */
    READ,
    /** SET and DEL, alone or in a transaction, ephemeral files included. */
    WRITE,
    /** WAIT and WATCH. */
    WATCH,
    /** Changing the policy under /ctl/acl, membership, other identities' sessions. */
    ADMIN;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses "read,watch" (or one right); INVALID naming the unknown word. */
    public static Set<Right> parseList(String text) {
        Set<Right> out = EnumSet.noneOf(Right.class);
        for (String w : text.split(",")) {
            out.add(parse(w.trim()));
        }
        return out;
    }

    public static Right parse(String word) {
        for (Right r : values()) {
            if (r.word().equals(word.toLowerCase(Locale.ROOT))) {
                return r;
            }
        }
        throw new StoreException(Err.INVALID, "unknown right \"" + word + "\" (rights: read, write, watch, admin)");
    }
}
