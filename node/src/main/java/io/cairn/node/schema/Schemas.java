package io.cairn.node.schema;

import io.cairn.node.store.Err;
import io.cairn.node.store.Event;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Glob;
import io.cairn.node.store.Paths;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import java.util.ArrayList;
import java.util.List;

/**
 * The schemas under {@link SchemaRule#DIR} as of a revision a member applied, and the check a
 * member makes of a client's write before proposing it: every value a SET would write (in either
 * branch of a transaction) to a path a schema's glob matches must be JSON that schema accepts,
 * and a new schema must itself be a usable one. A refused write is never proposed, so it costs
 * the cluster nothing and no watcher or sidecar ever sees the value.
 *
 * <p>The check runs where the write arrives, against the schemas that member has applied. A
 * schema therefore holds for every write that arrives after the member applied it; a write sent
 * in the instant between a schema's commit and its apply on that member is judged without it, as
 * a write racing with any change would be.
 */
public final class Schemas {
    public static final Schemas NONE = new Schemas(List.of());
    private static final Glob ALL = Glob.compile(SchemaRule.DIR + "/*");

    private final List<SchemaRule> rules;

    private Schemas(List<SchemaRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * The schemas in {@code tree}. One that does not parse (only a tree restored from an altered
     * backup can hold one: each is checked when written) is left out.
     */
    public static Schemas of(VersionedTree tree) {
        List<SchemaRule> rules = new ArrayList<>();
        for (FileEntry f : tree.walk(ALL, 0, 0, Integer.MAX_VALUE).items()) {
            try {
                rules.add(SchemaRule.parse(f.path(), f.value()));
            } catch (StoreException unusable) {
                // left out: see above
            }
        }
        return rules.isEmpty() ? NONE : new Schemas(rules);
    }

    /** Whether applying these events may have changed the schemas. */
    public static boolean touched(List<Event> events) {
        for (Event e : events) {
            if (Paths.isUnder(e.path(), SchemaRule.DIR)) {
                return true;
            }
        }
        return false;
    }

    public List<SchemaRule> rules() {
        return rules;
    }

    /** INVALID, saying which schema refused which value and why, unless every SET of {@code command} passes. */
    public void check(Command command) {
        for (List<Op> branch : List.of(command.getTxn().getSuccessList(), command.getTxn().getFailureList())) {
            for (Op op : branch) {
                if (op.getKind() == Op.Kind.SET) {
                    check(op.getPath(), op.getValue().toByteArray());
                }
            }
        }
    }

    /** INVALID unless {@code value} may be written at {@code path}. */
    public void check(String path, byte[] value) {
        if (Paths.isUnder(path, SchemaRule.DIR)) {
            if (!Paths.parent(path).equals(SchemaRule.DIR)) {
                throw new StoreException(Err.INVALID, path + ": " + SchemaRule.DIR + " holds only schemas, each a file directly under it");
            }
            SchemaRule.parse(path, value);
            return;
        }
        for (SchemaRule r : rules) {
            if (r.path().matches(path)) {
                r.check(path, value);
            }
        }
    }
}
