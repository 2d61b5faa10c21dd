package io.cairn.net;

import java.util.concurrent.CompletionException;

/** Network and TLS libraries wrap the useful message ("certificate_required") in generic ones. */
public final class Causes {
    private Causes() {}

    /**
     * What a future failed with: the cause a {@link CompletionException} wraps (a dependent
     * stage's failure), or the failure itself.
     */
    public static Throwable unwrapped(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** The innermost message in {@code t}'s cause chain, or {@code t} itself when none has one. */
    public static String innermost(Throwable t) {
        String msg = String.valueOf(t);
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null) {
                msg = c.getMessage();
            }
        }
        return msg;
    }
}
