package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** No such file or directory. */
public class NoEntException extends CairnException {
    public NoEntException(String detail) {
        super(Err.NOENT, detail);
    }
}
