package io.cairn.node.store;

import java.util.regex.Pattern;

/**
 * A path pattern: {@code *} matches within one segment, {@code ?} one character of a segment,
 * {@code **} any number of whole segments ({@code /a/**} matches everything under /a, and
 * {@code /a/**}{@code /b} matches /a/b, /a/x/b, /a/x/y/b).
 */
public final class Glob {
    private final String text;
    private final Pattern pattern;
    private final String literalPrefix;
    /**
     * Whether the glob is a literal prefix then {@code **} ({@code /config/shop/**}, the common
     * watch and policy rule), which the prefix alone decides: every check of a policy's grant and
     * every watcher's match ran the regex before.
     */
    private final boolean prefixOnly;

    private Glob(String text, Pattern pattern, String literalPrefix) {
        this.text = text;
        this.pattern = pattern;
        this.literalPrefix = literalPrefix;
        this.prefixOnly = literalPrefix.endsWith("/") && text.equals(literalPrefix + "**");
    }

    /** Compiles a glob, or throws BAD_PATH naming what is wrong with it. */
    public static Glob compile(String glob) {
        if (glob == null || glob.isEmpty()) {
            throw new StoreException(Err.BAD_PATH, "bad glob: empty");
        }
        if (glob.charAt(0) != '/') {
            throw new StoreException(Err.BAD_PATH, "bad glob " + Paths.quote(glob) + ": must start with /");
        }
        if (glob.length() > Paths.MAX_PATH_LENGTH) {
            throw new StoreException(Err.BAD_PATH, "bad glob: longer than " + Paths.MAX_PATH_LENGTH);
        }
        StringBuilder re = new StringBuilder();
        int firstWild = -1;
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (firstWild < 0) {
                    firstWild = i;
                }
                boolean dbl = i + 1 < glob.length() && glob.charAt(i + 1) == '*';
                if (dbl) {
                    boolean wholeSegment = glob.charAt(i - 1) == '/';
                    boolean followedBySlash = i + 2 < glob.length() && glob.charAt(i + 2) == '/';
                    if (wholeSegment && followedBySlash) {
                        re.append("(?:[A-Za-z0-9._-]+/)*");
                        i += 2; // the slash is part of the repeated group
                    } else {
                        re.append(".*");
                        i += 1;
                    }
                } else {
                    re.append("[^/]*");
                }
            } else if (c == '?') {
                if (firstWild < 0) {
                    firstWild = i;
                }
                re.append("[^/]");
            } else if (c == '/' || Paths.isSegmentChar(c)) {
                if (c == '.' || c == '-') {
                    re.append('\\');
                }
                re.append(c);
            } else {
                throw new StoreException(Err.BAD_PATH,
                        "bad glob " + Paths.quote(glob) + ": character '" + c + "' at " + i
                                + " (allowed: A-Z a-z 0-9 . _ - / * ?)");
            }
        }
        String prefix;
        if (firstWild < 0) {
            prefix = glob;
        } else {
            prefix = glob.substring(0, glob.lastIndexOf('/', firstWild) + 1);
        }
        return new Glob(glob, Pattern.compile(re.toString()), prefix);
    }

    public boolean matches(String path) {
        return path.startsWith(literalPrefix) && (prefixOnly || pattern.matcher(path).matches());
    }

    /** Every matching path starts with this, so a sorted map can be scanned from here. */
    public String literalPrefix() {
        return literalPrefix;
    }

    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
