package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The path is read-only through the data API (the /ctl tree). */
public class ReadOnlyException extends CairnException {
    public ReadOnlyException(String detail) {
        super(Err.READONLY, detail);
    }
}
