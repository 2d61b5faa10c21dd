package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The path (or one of its parents) is a file where a directory was needed. */
public class NotDirException extends CairnException {
    public NotDirException(String detail) {
        super(Err.NOTDIR, detail);
    }
}
