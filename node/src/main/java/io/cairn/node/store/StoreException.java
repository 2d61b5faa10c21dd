package io.cairn.node.store;


/**
 * A request the store refuses, with the protocol error code and a detail a person can act on.
 * Expected errors carry no stack trace: they are answers, not failures.
 */
public final class StoreException extends RuntimeException {
    private final Err code;
    private final long currentRev;

    public StoreException(Err code, String detail) {
        this(code, detail, Long.MIN_VALUE);
    }

    public StoreException(Err code, String detail, long currentRev) {
        super(detail, null, false, false);
        this.code = code;
        this.currentRev = currentRev;
    }

    public Err code() {
        return code;
    }

    /** For REV_MISMATCH: the file's rev at the time (0 when missing); otherwise absent. */
    public boolean hasCurrentRev() {
        return currentRev != Long.MIN_VALUE;
    }

    public long currentRev() {
        return currentRev;
    }
}
