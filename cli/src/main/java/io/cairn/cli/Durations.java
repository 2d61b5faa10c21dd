package io.cairn.cli;

import java.time.Duration;

/** Parses durations as people write them: 250ms, 10s, 2m, 1h (a bare number is seconds). */
final class Durations {
    private Durations() {}

    static Duration parse(String s) {
        String t = s == null ? "" : s.trim();
        try {
            Duration d;
            if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            } else if (t.endsWith("m")) {
                d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
            } else if (t.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(t));
            }
            if (d.isNegative() || d.isZero()) {
                throw new CairnCli.UsageException("duration \"" + s + "\" must be positive");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new CairnCli.UsageException("bad duration \"" + s + "\" (use forms like 500ms, 10s, 2m)");
        }
    }
}
