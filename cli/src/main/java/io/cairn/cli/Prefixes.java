package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.Page;
import io.cairn.client.Versioned;
import java.util.ArrayList;
import java.util.List;

/** The files under a path at one revision: what {@code get --prefix} and {@code del --prefix} work on. */
final class Prefixes {
    record Listing(long rev, List<Versioned> files) {}

    private Prefixes() {}

    /** {@code path} itself when it is a file, and every file below it, at {@code rev} (0: the latest). */
    static Listing under(CairnClient c, String path, long rev) {
        if (!path.matches("/|(/[A-Za-z0-9._-]+)+")) {
            throw new CairnCli.UsageException("--prefix takes a path like /config/web, got \"" + path + "\"");
        }
        Page<Versioned> below = c.walk(path.equals("/") ? "/**" : path + "/**", rev);
        List<Versioned> files = new ArrayList<>();
        if (!path.equals("/")) {
            Versioned self = c.get(path, below.rev());
            if (self.rev() != Versioned.MISSING && !self.isDir()) {
                files.add(self);
            }
        }
        files.addAll(below.items());
        return new Listing(below.rev(), files);
    }
}
