package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** A SET or DEL named a rev the file no longer has; {@link #currentRev()} says what it has. */
public class RevMismatchException extends CairnException {
    private final long currentRev;

    public RevMismatchException(String detail, long currentRev) {
        super(Err.REV_MISMATCH, detail);
        this.currentRev = currentRev;
    }

    /** The file's rev when the write was refused (0: missing; -1: not reported). */
    public long currentRev() {
        return currentRev;
    }
}
