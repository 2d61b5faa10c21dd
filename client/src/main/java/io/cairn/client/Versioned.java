package io.cairn.client;

import java.nio.charset.StandardCharsets;

/** A file read at some revision: rev 0 means missing, -2 a directory (value null for both). */
public record Versioned(String path, byte[] value, long rev) {
    public static final long MISSING = 0;
    public static final long CLOBBER = -1;
    public static final long DIR = -2;

    public boolean exists() {
        return rev > 0;
    }

    public boolean isDir() {
        return rev == DIR;
    }

    /** The value as UTF-8 text, or null when there is none. */
    public String text() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }
}
