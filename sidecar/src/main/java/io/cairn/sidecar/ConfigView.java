package io.cairn.sidecar;

import java.util.Collections;
import java.util.SortedMap;

/**
 * The watched config as of one revision: every file under the watched prefixes, keyed by its
 * path relative to its prefix ("db/url" for /config/web/db/url under /config/web).
 */
public record ConfigView(long rev, SortedMap<String, byte[]> files) {
    public ConfigView {
        files = Collections.unmodifiableSortedMap(files);
    }
}
