package io.cairn.node.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The web console's files (index.html, app.js, style.css), from the member's jar: plain ES
 * modules and CSS, no build step and nothing fetched from elsewhere. Read once, on first use.
 */
final class ConsoleAssets {
    /** A file of the console: its bytes and content type. */
    record Asset(byte[] body, String contentType) {}

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8");
    private static final Map<String, Asset> FILES = load("index.html", "app.js", "style.css");

    private ConsoleAssets() {}

    /** The asset for a path under /ui/ ("" is index.html), or null. */
    static Asset get(String name) {
        return FILES.get(name.isEmpty() ? "index.html" : name);
    }

    private static Map<String, Asset> load(String... names) {
        java.util.HashMap<String, Asset> out = new java.util.HashMap<>();
        for (String n : names) {
            try (InputStream in = ConsoleAssets.class.getResourceAsStream("/ui/" + n)) {
                if (in == null) {
                    throw new IllegalStateException("the console's " + n + " is missing from the jar");
                }
                out.put(n, new Asset(in.readAllBytes(), TYPES.get(n.substring(n.lastIndexOf('.') + 1))));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Map.copyOf(out);
    }
}
