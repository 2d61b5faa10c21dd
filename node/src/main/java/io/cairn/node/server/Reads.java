package io.cairn.node.server;

import io.cairn.node.store.Err;
import io.cairn.node.store.Event;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Glob;
import io.cairn.node.store.Page;
import io.cairn.node.store.Paths;
import io.cairn.node.store.Revs;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import io.cairn.node.acl.Grants;
import io.cairn.node.acl.Right;

/**
 * What a read request means, once for both front ends (the wire protocol's GETDIR, WALK, WATCH,
 * HISTORY and DIFF, and HTTP's /v1/ls, /v1/walk, /v1/watch, /v1/history and /v1/diff): the
 * revision a listing is taken at, the bounds on pages, offsets and watch starts, and the errors
 * that name them. Each front end only parses its own request and encodes its own answer.
 */
public final class Reads {
    /** A page of a listing, and the revision it was taken at (the current one when 0 was asked). */
    public record Listing<T>(long rev, Page<T> page) {}

    /** A file that differs between two revisions: as it was (null: added) and as it is (null: deleted). */
    public record Change(String path, FileEntry before, FileEntry after) {}

    /** Values in one page of a diff before it is cut: well inside the clients' 64 MiB frames. */
    private static final long DIFF_PAGE_BYTES = 16L << 20;

    /** How many files one walk of a diff takes at a time. */
    private static final int DIFF_WALK_PAGE = 10_000;

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
        return names(t, path, rev, offset, limit, null);
    }

    /**
     * The names in directory {@code path} that {@code visible} keeps (null: all), a page of them:
     * filtered before the page is cut, so offsets count only what the caller may see.
     */
    public static Listing<String> names(VersionedTree t, String path, long rev, int offset, int limit, Predicate<String> visible) {
        long at = t.readRev(rev);
        if (visible == null) {
            return new Listing<>(at, t.getdir(path, at, offset, limit));
        }
        List<String> all = t.getdir(path, at, 0, Integer.MAX_VALUE).items();
        return new Listing<>(at, Page.slice(all.stream().filter(visible).toList(), offset, limit));
    }

    /** The files matching {@code glob} at {@code rev} (0: now), a page of them. */
    public static Listing<FileEntry> files(VersionedTree t, Glob glob, long rev, int offset, int limit) {
        return files(t, glob, rev, offset, limit, null);
    }

    /** The files matching {@code glob} whose path {@code visible} keeps (null: all), a page of them. */
    public static Listing<FileEntry> files(VersionedTree t, Glob glob, long rev, int offset, int limit, Predicate<String> visible) {
        long at = t.readRev(rev);
        return new Listing<>(at, t.walk(glob, at, offset, limit, visible));
    }

    /** The paths on which {@code grants} hold {@code right}; null (everything) without grants to check. */
    public static Predicate<String> visible(Grants grants, Right right) {
        return grants == null || grants.all() ? null : p -> grants.allows(p, right);
    }

    /** The names in {@code dir} under which {@code grants} may reach something readable; null: all. */
    public static Predicate<String> visibleNames(Grants grants, String dir) {
        String base = dir.equals(Paths.ROOT) ? "/" : dir + "/";
        return grants == null || grants.all() ? null
                : name -> grants.allows(base + name, Right.READ) || grants.mayReach(base + name, Right.READ);
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

    /**
     * A page of file {@code path}'s kept versions, oldest first (see {@link VersionedTree#history}),
     * and the revision read at: NOENT when none is kept, ISDIR for a directory.
     */
    public static Listing<Event> history(VersionedTree t, String path, int offset, int limit) {
        Paths.check(path);
        List<Event> all = t.history(path);
        if (all.isEmpty()) {
            if (t.get(path, 0).rev() == Revs.DIR) {
                throw new StoreException(Err.ISDIR, path + " is a directory; history is kept per file");
            }
            throw new StoreException(Err.NOENT, "no version of " + path + " is kept (the history holds revisions "
                    + t.oldestRev() + " to " + t.rev() + ")");
        }
        return new Listing<>(t.rev(), Page.slice(all, offset, limit));
    }

    /**
     * A page of the files under {@code prefix} (and {@code prefix} itself, when a file) whose
     * value differs between revision {@code fromRev} and {@code toRev} (0: the latest), in byte
     * order of their paths, with the later revision. A file set again to the same value is no
     * change. The page is also cut once its values pass {@link #DIFF_PAGE_BYTES} (it holds one
     * change at least), so an answer fits a frame.
     */
    public static Listing<Change> diff(VersionedTree t, String prefix, long fromRev, long toRev, int offset, int limit) {
        return diff(t, prefix, fromRev, toRev, offset, limit, null);
    }

    /** {@link #diff}, of the files {@code visible} keeps (null: all). */
    public static Listing<Change> diff(VersionedTree t, String prefix, long fromRev, long toRev, int offset, int limit,
            Predicate<String> visible) {
        Paths.check(prefix);
        if (fromRev <= 0) {
            throw new StoreException(Err.MISSING_ARG, "a diff needs the revision to compare from (1 or more)");
        }
        long to = t.readRev(toRev);
        long from = t.readRev(fromRev);
        if (from > to) {
            throw new StoreException(Err.RANGE, "from revision " + from + " is after to revision " + to);
        }
        Map<String, FileEntry> before = filesUnder(t, prefix, from);
        Map<String, FileEntry> after = filesUnder(t, prefix, to);
        TreeSet<String> paths = new TreeSet<>(before.keySet());
        paths.addAll(after.keySet());
        List<Change> changes = new ArrayList<>();
        for (String p : paths) {
            FileEntry b = before.get(p);
            FileEntry a = after.get(p);
            if ((visible == null || visible.test(p)) && (b == null || a == null || !Arrays.equals(b.value(), a.value()))) {
                changes.add(new Change(p, b, a));
            }
        }
        Page<Change> page = Page.slice(changes, offset, limit);
        long bytes = 0;
        for (int i = 0; i < page.items().size(); i++) {
            Change c = page.items().get(i);
            bytes += (c.before() == null ? 0 : c.before().value().length) + (c.after() == null ? 0 : c.after().value().length);
            if (bytes > DIFF_PAGE_BYTES && i > 0) {
                page = new Page<>(page.items().subList(0, i), true);
                break;
            }
        }
        return new Listing<>(to, page);
    }

    private static Map<String, FileEntry> filesUnder(VersionedTree t, String prefix, long at) {
        Map<String, FileEntry> out = new TreeMap<>();
        if (!prefix.equals(Paths.ROOT)) {
            FileEntry self = t.get(prefix, at);
            if (self.value() != null) {
                out.put(prefix, self);
            }
        }
        Glob below = Glob.compile(prefix.equals(Paths.ROOT) ? "/**" : prefix + "/**");
        int offset = 0;
        Page<FileEntry> p;
        do {
            p = t.walk(below, at, offset, DIFF_WALK_PAGE);
            p.items().forEach(f -> out.put(f.path(), f));
            offset += p.items().size();
        } while (p.more());
        return out;
    }
}
