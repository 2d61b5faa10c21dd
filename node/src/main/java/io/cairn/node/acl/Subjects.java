package io.cairn.node.acl;

/** Identity and group patterns: {@code *} matches any run of characters, everything else itself. */
public final class Subjects {
    private Subjects() { }

    public static boolean matches(String pattern, String text) {
        int star = pattern.indexOf('*');
        if (star < 0) {
            return pattern.equals(text);
        }
        if (!text.startsWith(pattern.substring(0, star))) {
            return false;
        }
        String rest = pattern.substring(star + 1);
        for (int i = star; i <= text.length(); i++) {
            if (matches(rest, text.substring(i))) {
                return true;
            }
        }
        return false;
    }
}
