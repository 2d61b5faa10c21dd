package io.cairn.net;

/**
 * A string as a JSON string literal, for the few small JSON texts built by hand where a JSON
 * library is not at hand (the client has none): quotes and backslashes escaped, control
 * characters as {@code \\uXXXX}.
 */
public final class JsonText {
    private JsonText() { }

    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
