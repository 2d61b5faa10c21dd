package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The server does not know the request's verb. */
public class UnknownVerbException extends CairnException {
    public UnknownVerbException(String detail) {
        super(Err.UNKNOWN_VERB, detail);
    }
}
