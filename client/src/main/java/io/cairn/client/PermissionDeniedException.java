package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The caller may not do this (for example, write another session's ephemeral file). */
public class PermissionDeniedException extends CairnException {
    public PermissionDeniedException(String detail) {
        super(Err.PERMISSION_DENIED, detail);
    }
}
