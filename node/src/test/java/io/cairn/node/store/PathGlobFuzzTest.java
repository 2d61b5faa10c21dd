package io.cairn.node.store;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target: the path rules ({@link Paths}) and globs ({@link Glob}), which every request's
 * path and pattern goes through.
 *
 * <p>Checked: a path is refused only with BAD_PATH, exactly when {@link Paths#isValid} says so; a
 * writable path is valid and canonical (no . or .. segment); a valid path's parent is valid and
 * holds it. A glob is refused only with BAD_PATH; for a compiled glob and a valid path,
 * {@link Glob#matches} agrees with a plain matcher written from the documented rules (below), and
 * every match starts with the glob's literal prefix (which walks scan from).
 */
public class PathGlobFuzzTest {
    private static final char[] PATH_CHARS = {'/', 'a', 'b', '.', '-', '_', 'Z', '0'};
    private static final char[] GLOB_CHARS = {'/', 'a', 'b', '.', '*', '?', '-'};

    @FuzzTest
    void pathsAndGlobs(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        String path = data.consumeBoolean() ? build(data, PATH_CHARS, 24) : data.consumeString(40);
        boolean valid = Paths.isValid(path);
        try {
            Paths.check(path);
            if (!valid) {
                throw new AssertionError("check accepted " + path + " that isValid refuses");
            }
        } catch (StoreException e) {
            if (e.code() != Err.BAD_PATH || valid) {
                throw new AssertionError("check refused " + path + " with " + e.code() + " (valid: " + valid + ")");
            }
        }
        try {
            Paths.checkWritable(path);
            if (!valid) {
                throw new AssertionError("checkWritable accepted the invalid path " + path);
            }
            for (String seg : path.split("/")) {
                if (seg.equals(".") || seg.equals("..")) {
                    throw new AssertionError("checkWritable accepted the segment " + seg + " in " + path);
                }
            }
        } catch (StoreException e) {
            if (e.code() != Err.BAD_PATH) {
                throw new AssertionError("checkWritable refused " + path + " with " + e.code());
            }
        }
        if (valid && !path.equals(Paths.ROOT)) {
            String parent = Paths.parent(path);
            if (!Paths.isValid(parent) || !Paths.isUnder(path, parent)) {
                throw new AssertionError("the parent " + parent + " of " + path + " is not a valid directory holding it");
            }
        }

        String glob = data.consumeBoolean() ? build(data, GLOB_CHARS, 16) : data.consumeString(20);
        Glob g;
        try {
            g = Glob.compile(glob);
        } catch (StoreException e) {
            if (e.code() != Err.BAD_PATH) {
                throw new AssertionError("compile refused " + glob + " with " + e.code());
            }
            return;
        }
        if (!valid || path.length() > 40) {
            return;
        }
        boolean expected = matches(glob, path);
        if (g.matches(path) != expected) {
            throw new AssertionError("glob " + glob + " on " + path + ": matches() says " + !expected + ", the rules say " + expected);
        }
        if (expected && !path.startsWith(g.literalPrefix())) {
            throw new AssertionError("glob " + glob + " matches " + path + " outside its literal prefix " + g.literalPrefix());
        }
    }

    private static String build(FuzzedDataProvider data, char[] alphabet, int max) {
        int n = data.consumeInt(0, max);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(data.pickValue(alphabet));
        }
        return b.toString();
    }

    /**
     * The rules, as the glob's documentation gives them: {@code *} any characters within one
     * segment, {@code ?} one character of a segment, {@code **} standing for a whole segment
     * ({@code /**}{@code /} or a final {@code /**}) any number of whole segments, and elsewhere
     * any characters at all; everything else stands for itself.
     */
    static boolean matches(String glob, String path) {
        Boolean[][] memo = new Boolean[glob.length() + 1][path.length() + 1];
        return match(glob, 0, path, 0, memo);
    }

    private static boolean match(String g, int gi, String p, int pi, Boolean[][] memo) {
        if (memo[gi][pi] != null) {
            return memo[gi][pi];
        }
        boolean r;
        if (gi == g.length()) {
            r = pi == p.length();
        } else if (g.startsWith("**", gi)) {
            boolean afterSlash = gi > 0 && g.charAt(gi - 1) == '/';
            if (afterSlash && gi + 2 < g.length() && g.charAt(gi + 2) == '/') {
                // Zero or more whole segments, each with its slash.
                r = match(g, gi + 3, p, pi, memo);
                for (int k = pi; !r && k < p.length(); k++) {
                    if (p.charAt(k) == '/') {
                        if (k > pi) {
                            r = match(g, gi, p, k + 1, memo);
                        }
                        break;
                    }
                }
            } else {
                r = false;
                for (int k = pi; !r && k <= p.length(); k++) {
                    r = match(g, gi + 2, p, k, memo);
                }
            }
        } else if (g.charAt(gi) == '*') {
            r = false;
            for (int k = pi; !r && k <= p.length(); k++) {
                r = match(g, gi + 1, p, k, memo);
                if (k < p.length() && p.charAt(k) == '/') {
                    break;
                }
            }
        } else if (g.charAt(gi) == '?') {
            r = pi < p.length() && p.charAt(pi) != '/' && match(g, gi + 1, p, pi + 1, memo);
        } else {
            r = pi < p.length() && p.charAt(pi) == g.charAt(gi) && match(g, gi + 1, p, pi + 1, memo);
        }
        memo[gi][pi] = r;
        return r;
    }
}
