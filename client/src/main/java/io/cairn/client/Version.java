package io.cairn.client;

/**
 * One kept version of a file: set to a value of {@code size} bytes, or deleted, at {@code rev};
 * made by {@code author} (null: a member itself, or unknown) in a slot the leader proposed at
 * {@code timeMs} (ms since the epoch; 0: unknown).
 */
public record Version(long rev, int size, boolean deleted, String author, long timeMs) {
    public Version(long rev, int size, boolean deleted) {
        this(rev, size, deleted, null, 0);
    }
}
