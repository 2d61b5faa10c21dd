package io.cairn.cli;

import java.time.Duration;

/** The client's duration syntax, with a mistake reported as bad usage (exit 2). */
final class Durations {
    private Durations() {}

    static Duration parse(String s) {
        try {
            return io.cairn.client.Durations.parse(s);
        } catch (IllegalArgumentException e) {
            throw new CairnCli.UsageException(e.getMessage());
        }
    }
}
