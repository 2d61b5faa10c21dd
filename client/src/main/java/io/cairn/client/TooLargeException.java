package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** A value or frame exceeded the server's limit. */
public class TooLargeException extends CairnException {
    public TooLargeException(String detail) {
        super(Err.TOO_LARGE, detail);
    }
}
