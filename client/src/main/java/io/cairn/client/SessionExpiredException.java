package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The session ended; its ephemeral files are gone. */
public class SessionExpiredException extends CairnException {
    public SessionExpiredException(String detail) {
        super(Err.SESSION_EXPIRED, detail);
    }
}
