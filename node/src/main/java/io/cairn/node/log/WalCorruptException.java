package io.cairn.node.log;

import java.io.IOException;

/** A damaged record before the end of the log: the node stops rather than guess what it held. */
public final class WalCorruptException extends IOException {
    public WalCorruptException(String message) {
        super(message);
    }
}
