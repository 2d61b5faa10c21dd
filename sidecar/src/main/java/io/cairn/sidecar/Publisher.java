package io.cairn.sidecar;

import java.io.IOException;
import java.util.SortedMap;

/**
 * Where the sidecar puts what a revision renders to: a directory of files ({@link AtomicDirectory})
 * or the environment of the app it runs ({@link EnvExec}). Called on the sidecar's one thread,
 * only when the outputs changed.
 */
public interface Publisher {
    /** Publishes the outputs of {@code rev}, keyed by path relative to the output, all or nothing. */
    void publish(long rev, SortedMap<String, byte[]> outputs) throws IOException;

    /** Where it publishes, for the log. */
    String describe();
}
