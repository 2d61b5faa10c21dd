package io.cairn.client;

import java.nio.charset.StandardCharsets;

/**
 * One change seen by WAIT or WATCH: a set (with its value) or a delete, at its revision; made by
 * {@code author} (null: a member itself, or unknown) at {@code timeMs} (ms since the epoch; 0: unknown).
 */
public record Event(long rev, String path, byte[] value, boolean deleted, String author, long timeMs) {
    public Event(long rev, String path, byte[] value, boolean deleted) {
        this(rev, path, value, deleted, null, 0);
    }

    public String text() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }
}
