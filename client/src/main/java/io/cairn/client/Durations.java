package io.cairn.client;

import java.time.Duration;

/** Parses durations as people write them: 250ms, 10s, 1.5s, 2m, 1h (a bare number is seconds). */
public final class Durations {
    private Durations() {}

    /** A positive duration, or IllegalArgumentException saying what is wrong with {@code s}. */
    public static Duration parse(String s) {
        String t = s == null ? "" : s.trim();
        Duration d;
        try {
            if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            } else if (t.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(t));
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad duration \"" + s + "\" (use forms like 500ms, 10s, 2m)");
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("duration \"" + s + "\" must be positive");
        }
        return d;
    }
}
