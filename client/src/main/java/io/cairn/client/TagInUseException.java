package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The request's tag was still in use on the connection. */
public class TagInUseException extends CairnException {
    public TagInUseException(String detail) {
        super(Err.TAG_IN_USE, detail);
    }
}
