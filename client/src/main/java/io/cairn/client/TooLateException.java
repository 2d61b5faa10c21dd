package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The revision asked for was compacted away; read the tree again and watch from after it. */
public class TooLateException extends CairnException {
    public TooLateException(String detail) {
        super(Err.TOO_LATE, detail);
    }
}
