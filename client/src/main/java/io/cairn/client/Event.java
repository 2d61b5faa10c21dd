package io.cairn.client;

import java.nio.charset.StandardCharsets;

/** One change seen by WAIT or WATCH: a set (with its value) or a delete, at its revision. */
public record Event(long rev, String path, byte[] value, boolean deleted) {
    public String text() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }
}
