package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** A path or glob broke the path rules. */
public class BadPathException extends CairnException {
    public BadPathException(String detail) {
        super(Err.BAD_PATH, detail);
    }
}
