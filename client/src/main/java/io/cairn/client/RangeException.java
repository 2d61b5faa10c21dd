package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** A number was out of range: an offset, a limit, a future revision, or a per-connection bound. */
public class RangeException extends CairnException {
    public RangeException(String detail) {
        super(Err.RANGE, detail);
    }
}
