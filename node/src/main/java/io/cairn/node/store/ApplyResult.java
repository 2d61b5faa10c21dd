package io.cairn.node.store;

import java.util.List;

/**
 * What applying one command did.
 *
 * @param rev the store's revision after the command (unchanged when nothing was written)
 * @param succeeded whether the compares held (always true without compares)
 * @param results one per op of the branch taken
 * @param events the changes made, in op order, all at {@code rev}; empty when nothing changed
 * @param error set when an op was refused; then nothing changed
 * @param session for a session being opened, its id (0 otherwise)
 */
public record ApplyResult(long rev, boolean succeeded, List<OpResult> results, List<Event> events,
        StoreException error, long session) {

    public ApplyResult(long rev, boolean succeeded, List<OpResult> results, List<Event> events, StoreException error) {
        this(rev, succeeded, results, events, error, 0);
    }

    static ApplyResult failed(long rev, StoreException error) {
        return new ApplyResult(rev, false, List.of(), List.of(), error);
    }

    public boolean ok() {
        return error == null;
    }
}
