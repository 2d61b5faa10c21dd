package io.cairn.client;

import io.cairn.proto.Msg.Response.Err;

/**
 * An error answer from Cairn. Each protocol error code has its own subclass, so callers catch
 * exactly what they can handle ({@link RevMismatchException}, {@link TooLateException}, ...).
 */
public class CairnException extends RuntimeException {
    private final Err code;

    public CairnException(Err code, String detail) {
        super(detail);
        this.code = code;
    }

    public CairnException(Err code, String detail, Throwable cause) {
        super(detail, cause);
        this.code = code;
    }

    /** The protocol error code. */
    public Err code() {
        return code;
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }

    /** The exception type for an error answer. */
    public static CairnException of(Err code, String detail, long currentRev) {
        return switch (code) {
            case REV_MISMATCH -> new RevMismatchException(detail, currentRev);
            case TOO_LATE -> new TooLateException(detail);
            case BAD_PATH -> new BadPathException(detail);
            case NOENT -> new NoEntException(detail);
            case ISDIR -> new IsDirException(detail);
            case NOTDIR -> new NotDirException(detail);
            case TOO_LARGE -> new TooLargeException(detail);
            case READONLY -> new ReadOnlyException(detail);
            case NOT_LEADER -> new NotLeaderException(detail);
            case UNAVAILABLE -> new UnavailableException(detail);
            case SESSION_EXPIRED -> new SessionExpiredException(detail);
            case PERMISSION_DENIED -> new PermissionDeniedException(detail);
            case RANGE -> new RangeException(detail);
            case INVALID -> new InvalidException(detail);
            case MISSING_ARG -> new MissingArgException(detail);
            case TAG_IN_USE -> new TagInUseException(detail);
            case UNKNOWN_VERB -> new UnknownVerbException(detail);
            case OTHER -> new CairnException(Err.OTHER, detail);
        };
    }
}
