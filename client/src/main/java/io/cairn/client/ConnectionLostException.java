package io.cairn.client;

/** The connection closed while a request was outstanding. A write's outcome is then unknown. */
public class ConnectionLostException extends UnavailableException {
    public ConnectionLostException(String detail) {
        super(detail);
    }
}
