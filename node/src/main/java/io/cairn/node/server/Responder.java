package io.cairn.node.server;

import io.cairn.proto.Msg.Response;

/** The way back to one client connection. Safe to call from any thread; keeps call order. */
public interface Responder {
    void send(Response response);

    /** Bytes queued for this connection but not yet written to the socket. */
    long pendingBytes();
}
