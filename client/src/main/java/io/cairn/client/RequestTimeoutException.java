package io.cairn.client;

/** No answer came within the request timeout. A write's outcome is then unknown. */
public class RequestTimeoutException extends UnavailableException {
    public RequestTimeoutException(String detail) {
        super(detail);
    }
}
