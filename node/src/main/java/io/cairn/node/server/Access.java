package io.cairn.node.server;

import io.cairn.node.acl.Grants;
import io.cairn.node.acl.Identity;
import io.cairn.node.acl.Right;
import io.cairn.node.auth.Authenticator;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.State.Command;

/**
 * The policy as both front ends (the client protocol and the HTTP gateway) apply it to one
 * caller. Reads are judged inside the read, by the policy of the tree it runs on, so a
 * linearizable read on any member is judged by the policy as of the commit it waited for;
 * watches by the policy as each revision is applied; writes where they land in the log (the
 * command carries its author and the mark to check it, {@link #stamp}).
 */
public record Access(Authenticator auth) {
    /** What {@code who} may do under {@code t}'s policy; null when this member does not enforce one. */
    public Grants grants(VersionedTree t, Identity who) {
        return auth.enforcing() ? t.policy().grantsFor(who) : null;
    }

    /** PERMISSION_DENIED unless {@code who} holds {@code right} on {@code path} under {@code t}'s policy. */
    public void check(VersionedTree t, Identity who, String path, Right right) {
        Grants g = grants(t, who);
        if (g != null) {
            g.check(path, right);
        }
    }

    /**
     * PERMISSION_DENIED unless {@code who} may hold {@code right} on something under {@code prefix}
     * (a listing's or a watch's gate); the grants to filter its entries with (null: all).
     */
    public Grants reach(VersionedTree t, Identity who, String prefix, Right right) {
        Grants g = grants(t, who);
        if (g != null) {
            g.checkReach(prefix, right);
        }
        return g;
    }

    /** Whether a watcher {@code who} (null: unchecked) may see a change to {@code path} under the member's current policy. */
    public boolean watchable(KvService kv, Identity who, String path) {
        return who == null || !auth.enforcing() || kv.policy().grantsFor(who).allows(path, Right.WATCH);
    }

    /**
     * Marks a write from {@code who}: with the policy enforced, to be checked against it where it
     * lands in the log (anonymous callers too); the author recorded with the revision when known.
     */
    public Command.Builder stamp(Command.Builder command, Identity who) {
        if (auth.enforcing()) {
            command.setAuthorize(true);
        }
        if (auth.enforcing() || !who.anonymous()) {
            command.setAuthor(who.toProto());
        }
        return command;
    }
}
