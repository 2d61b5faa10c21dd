package io.cairn.node.http;

import io.cairn.node.store.Err;
import io.netty.handler.codec.http.HttpResponseStatus;

/** The HTTP status each refusal maps to. */
final class HttpErrors {
    private HttpErrors() {}

    static HttpResponseStatus status(Err code) {
        return switch (code) {
            case BAD_PATH, INVALID, MISSING_ARG, RANGE, UNKNOWN_VERB, TAG_IN_USE -> HttpResponseStatus.BAD_REQUEST;
            case NOENT -> HttpResponseStatus.NOT_FOUND;
            case REV_MISMATCH, ISDIR, NOTDIR -> HttpResponseStatus.CONFLICT;
            case TOO_LATE, SESSION_EXPIRED -> HttpResponseStatus.GONE;
            case TOO_LARGE -> HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            case READONLY, PERMISSION_DENIED -> HttpResponseStatus.FORBIDDEN;
            case NOT_LEADER -> HttpResponseStatus.MISDIRECTED_REQUEST;
            case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case OTHER -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
        };
    }
}
