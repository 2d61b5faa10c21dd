package io.cairn.node.store;

/**
 * Limits of the tree.
 *
 * @param history how many revisions stay readable and replayable to watchers behind the current
 *     one (DESIGN §3: default 100,000)
 * @param maxValueBytes the largest value a file may hold (default 1 MiB)
 */
public record StoreConfig(long history, int maxValueBytes) {
    public static final long DEFAULT_HISTORY = 100_000;
    public static final int DEFAULT_MAX_VALUE = 1 << 20;

    public StoreConfig {
        if (history < 1) {
            throw new IllegalArgumentException("history must be at least 1, got " + history);
        }
        if (maxValueBytes < 0) {
            throw new IllegalArgumentException("max value size must not be negative, got " + maxValueBytes);
        }
    }

    public static StoreConfig defaults() {
        return new StoreConfig(DEFAULT_HISTORY, DEFAULT_MAX_VALUE);
    }
}
