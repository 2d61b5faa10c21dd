package io.cairn.node.store;

/**
 * One file change: a SET (value present) or a DEL, at the revision that made it, with who made
 * that revision (null: a member itself, or unknown) and when its slot was proposed (ms since the
 * epoch by the leader's clock; 0: unknown).
 */
public record Event(long rev, String path, byte[] value, boolean deleted, String author, long timeMs) {
    public Event(long rev, String path, byte[] value, boolean deleted) {
        this(rev, path, value, deleted, null, 0);
    }

    public static Event set(long rev, String path, byte[] value) {
        return new Event(rev, path, value, false);
    }

    public static Event del(long rev, String path) {
        return new Event(rev, path, null, true);
    }

    /** The same change, recorded as made by {@code author} at {@code timeMs}. */
    public Event by(String author, long timeMs) {
        return author == null && timeMs == 0 ? this : new Event(rev, path, value, deleted, author, timeMs);
    }
}
