package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** No member could answer: none reachable, no quorum, or the request timed out. */
public class UnavailableException extends CairnException {
    public UnavailableException(String detail) {
        super(Err.UNAVAILABLE, detail);
    }

    public UnavailableException(String detail, Throwable cause) {
        super(Err.UNAVAILABLE, detail, cause);
    }
}
