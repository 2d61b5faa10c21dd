package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The request lacked a field its verb needs. */
public class MissingArgException extends CairnException {
    public MissingArgException(String detail) {
        super(Err.MISSING_ARG, detail);
    }
}
