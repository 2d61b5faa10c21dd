package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The path is a directory where a file was needed. */
public class IsDirException extends CairnException {
    public IsDirException(String detail) {
        super(Err.ISDIR, detail);
    }
}
