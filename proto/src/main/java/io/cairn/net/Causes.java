package io.cairn.net;

/** Network and TLS libraries wrap the useful message ("certificate_required") in generic ones. */
public final class Causes {
    private Causes() {}

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
