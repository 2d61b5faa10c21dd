package io.cairn.node.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Temporary directories for members a test starts, removed when the test JVM exits: by then
 * every member it started is closed and no thread of theirs still writes. Each clean-clone CI run
 * used to leave about two hundred member directories (WAL segments, snapshots) behind, 1.4 GB
 * on the machine the run was on.
 */
public final class TempDirs {
    private static final List<Path> CREATED = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TempDirs::deleteAll, "cairn-test-temp-dirs"));
    }

    private TempDirs() { }

    /** A new empty directory under the system's temporary directory, named with {@code prefix}. */
    public static Path create(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            synchronized (CREATED) {
                CREATED.add(dir);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes {@code dir} and everything under it; what is already gone is no error. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // A file that vanished under the walk: what is left is retried by the next call.
        }
    }

    private static void deleteAll() {
        synchronized (CREATED) {
            CREATED.forEach(TempDirs::deleteTree);
        }
    }
}
