package io.cairn.node.server;

import io.cairn.node.store.Err;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Glob;
import io.cairn.node.store.Page;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;

/**
 * What a read request means, once for both front ends (the wire protocol's GETDIR, WALK and
 * WATCH, and HTTP's /v1/ls, /v1/walk and /v1/watch): the revision a listing is taken at, the
 * bounds on pages, offsets and watch starts, and the errors that name them. Each front end only
 * parses its own request and encodes its own answer.
 */
public final class Reads {
    /** A page of a listing, and the revision it was taken at (the current one when 0 was asked). */
    public record Listing<T>(long rev, Page<T> page) {}

    private Reads() { }

    /** A page size asked for: 1 to {@code maxPage}. */
    public static int pageLimit(long limit, int maxPage) {
        if (limit < 1 || limit > maxPage) {
            throw new StoreException(Err.RANGE, "limit " + limit + " is outside 1.." + maxPage);
        }
        return (int) limit;
    }

    /** An offset into a listing: 0 or more (and within an int: a listing is never longer). */
    public static int offset(long offset) {
        if (offset < 0 || offset > Integer.MAX_VALUE) {
            throw new StoreException(Err.RANGE, "offset " + offset + " is outside 0.." + Integer.MAX_VALUE);
        }
        return (int) offset;
    }

    /** Where a watch starts: 0 for the next revision, or a revision to replay from. */
    public static long watchFrom(long from) {
        if (from < 0) {
            throw new StoreException(Err.RANGE, "from revision " + from + " is negative");
        }
        return from;
    }

    /** The names in directory {@code path} at {@code rev} (0: now), a page of them. */
    public static Listing<String> names(VersionedTree t, String path, long rev, int offset, int limit) {
        long at = t.readRev(rev);
        return new Listing<>(at, t.getdir(path, at, offset, limit));
    }

    /** The files matching {@code glob} at {@code rev} (0: now), a page of them. */
    public static Listing<FileEntry> files(VersionedTree t, Glob glob, long rev, int offset, int limit) {
        long at = t.readRev(rev);
        return new Listing<>(at, t.walk(glob, at, offset, limit));
    }

    /**
     * Fails the way the watch would, before it starts, when its start is outside the history
     * kept (so HTTP can answer 410 rather than break a stream it has begun).
     */
    public static void checkWatchable(VersionedTree t, Glob glob, long from) {
        if (from > 0 && from <= t.rev()) {
            t.eventsFrom(from, glob, 1);
        }
    }
}
