package io.cairn.node.store;

/** One file change: a SET (value present) or a DEL, at the revision that made it. */
public record Event(long rev, String path, byte[] value, boolean deleted) {
    public static Event set(long rev, String path, byte[] value) {
        return new Event(rev, path, value, false);
    }

    public static Event del(long rev, String path) {
        return new Event(rev, path, null, true);
    }
}
