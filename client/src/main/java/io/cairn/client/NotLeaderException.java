package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/** The member asked is not the leader; the client follows the hint. */
public class NotLeaderException extends CairnException {
    public NotLeaderException(String detail) {
        super(Err.NOT_LEADER, detail);
    }
}
