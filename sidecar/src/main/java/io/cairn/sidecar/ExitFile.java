package io.cairn.sidecar;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.OptionalInt;

/**
 * The file an app container's {@code cairn-sidecar exec} leaves when its app ends: the exit code,
 * one line. On a cluster without native sidecars a Job's pod completes only when every container
 * has ended, so the sidecar container watches for these files ({@code --exit-with}) and ends too.
 */
final class ExitFile {
    private ExitFile() {
    }

    static void clear(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the exit file " + file, e);
        }
    }

    /** Written whole or not at all (a file beside it, then renamed), so a reader never sees half. */
    static void write(Path file, int code) {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, code + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.err.println("cairn-sidecar exec: cannot write the exit file " + file + ": " + e.getMessage());
        }
    }

    /** The exit code in {@code file}; empty while there is none (or it is not a number yet). */
    static OptionalInt read(Path file) {
        try {
            return OptionalInt.of(Integer.parseInt(Files.readString(file, StandardCharsets.UTF_8).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * Whether the apps behind {@code files} have all ended for good: each has left its file, and,
     * when {@code successOnly} (a pod restarted on failure, whose kubelet runs a failed app
     * again), each with exit code 0.
     */
    static boolean allEnded(List<Path> files, boolean successOnly) {
        for (Path f : files) {
            OptionalInt code = read(f);
            if (code.isEmpty() || successOnly && code.getAsInt() != 0) {
                return false;
            }
        }
        return true;
    }
}
