package io.cairn.node.store;

/**
 * Why a request was refused: the code a {@link StoreException} carries. The names are the
 * client protocol's (msg.proto's {@code Response.Err}, a superset of Doozer's), to which the wire
 * front end maps them by name (see {@code Responses}); the HTTP gateway maps them to statuses.
 * The store and the replica use these, so the state machine does not depend on the client
 * protocol's types.
 */
public enum Err {
    /** An internal error: a bug, reported rather than hidden. */
    OTHER,
    TAG_IN_USE,
    UNKNOWN_VERB,
    READONLY,
    /** A revision older than the history kept. */
    TOO_LATE,
    /** A compare-and-set lost: the file's rev is not the one expected. */
    REV_MISMATCH,
    BAD_PATH,
    MISSING_ARG,
    RANGE,
    NOTDIR,
    ISDIR,
    NOENT,
    TOO_LARGE,
    INVALID,
    NOT_LEADER,
    /** No quorum, no leader, or the member is going away: try again, perhaps elsewhere. */
    UNAVAILABLE,
    SESSION_EXPIRED,
    PERMISSION_DENIED
}
