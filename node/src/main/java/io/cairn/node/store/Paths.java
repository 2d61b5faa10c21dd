package io.cairn.node.store;


/**
 * Path rules of the tree: "/" then segments of [A-Za-z0-9._-]+, no empty segment, no trailing
 * slash except the root. Every path is ASCII, so String order is byte order.
 */
public final class Paths {
    public static final String ROOT = "/";
    public static final String CTL = "/ctl";
    public static final int MAX_PATH_LENGTH = 4096;

    private Paths() {}

    /** Throws BAD_PATH with the reason when {@code path} is not a valid path. */
    public static String check(String path) {
        String why = problem(path);
        if (why != null) {
            throw new StoreException(Err.BAD_PATH, "bad path " + quote(path) + ": " + why);
        }
        return path;
    }

    /**
     * Throws BAD_PATH unless {@code path} may be written: valid, and canonical, so no segment is
     * {@code .} or {@code ..}. Those name a directory and its parent to every file system, shell
     * and HTTP client, and the sidecar cannot deliver them, so a file once written there stopped
     * config delivery to every pod that watched its prefix. Checked where writes enter a member,
     * not when the log is applied: an older member applied such writes, and a log must replay
     * the same everywhere. A file an older version stored under such a name stays readable and
     * deletable.
     */
    public static String checkWritable(String path) {
        check(path);
        for (String seg : path.split("/")) {
            if (seg.equals(".") || seg.equals("..")) {
                throw new StoreException(Err.BAD_PATH, "bad path " + quote(path) + ": the segment \"" + seg
                        + "\" is not allowed (a path is written in its one canonical form)");
            }
        }
        return path;
    }

    public static boolean isValid(String path) {
        return problem(path) == null;
    }

    private static String problem(String path) {
        if (path == null || path.isEmpty()) {
            return "empty";
        }
        if (path.length() > MAX_PATH_LENGTH) {
            return "longer than " + MAX_PATH_LENGTH + " characters";
        }
        if (path.charAt(0) != '/') {
            return "must start with /";
        }
        if (path.equals(ROOT)) {
            return null;
        }
        if (path.endsWith("/")) {
            return "trailing /";
        }
        int segmentLength = 0;
        for (int i = 1; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '/') {
                if (segmentLength == 0) {
                    return "empty segment";
                }
                segmentLength = 0;
            } else if (isSegmentChar(c)) {
                segmentLength++;
            } else {
                return "character " + describe(c) + " at " + i + " (allowed: A-Z a-z 0-9 . _ -)";
            }
        }
        return null;
    }

    public static boolean isSegmentChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-';
    }

    /** The parent directory of a valid non-root path. */
    public static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash == 0 ? ROOT : path.substring(0, slash);
    }

    /** The prefix every descendant of directory {@code dir} starts with. */
    public static String childPrefix(String dir) {
        return dir.equals(ROOT) ? ROOT : dir + "/";
    }

    /** True when {@code path} is {@code tree} or lies under it (every path lies under the root). */
    public static boolean isUnder(String path, String tree) {
        return path.equals(tree) || path.startsWith(childPrefix(tree));
    }

    static String quote(String s) {
        if (s == null) {
            return "(none)";
        }
        String shown = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return "\"" + shown + "\"";
    }

    private static String describe(char c) {
        return c < 0x20 || c > 0x7e ? String.format("U+%04X", (int) c) : "'" + c + "'";
    }
}
