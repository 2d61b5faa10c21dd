package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The request was malformed or inconsistent. */
public class InvalidException extends CairnException {
    public InvalidException(String detail) {
        super(Err.INVALID, detail);
    }
}
