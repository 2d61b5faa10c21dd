package io.cairn.sidecar;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * Publishes a whole set of files at once, the way the kubelet updates ConfigMap volumes: the
 * files go into a fresh hidden directory, the symlink {@code ..data} is switched to it with one
 * rename, and each top-level name is a symlink through {@code ..data}. A reader opening
 * {@code out/db/url} sees one version or the next, never a half-written file or a mix.
 */
public final class AtomicDirectory implements Publisher {
    static final String DATA = "..data";
    private final Path root;
    private final long graceNanos;
    private long generation;
    /** Replaced versions and when they were replaced; deleted once a reader cannot still be in them. */
    private final java.util.ArrayDeque<Object[]> retired = new java.util.ArrayDeque<>();

    public AtomicDirectory(Path root) throws IOException {
        this(root, java.time.Duration.ofSeconds(5));
    }

    /** {@code grace}: how long a replaced version stays for readers that resolved it just before. */
    public AtomicDirectory(Path root, java.time.Duration grace) throws IOException {
        this.root = root;
        this.graceNanos = grace.toNanos();
        Files.createDirectories(root);
    }

    public Path root() {
        return root;
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public void publish(long rev, SortedMap<String, byte[]> files) throws IOException {
        String name = "..rev-" + rev + "-" + System.nanoTime() + "-" + (generation++);
        Path version = root.resolve(name);
        Files.createDirectory(version);
        Set<String> top = new HashSet<>();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path file = version.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(e.getValue());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            top.add(e.getKey().split("/")[0]);
        }
        Path old = Files.isSymbolicLink(root.resolve(DATA)) ? root.resolve(DATA).toRealPath() : null;
        // The switch: a new symlink beside the old, renamed over it (rename is atomic).
        Path tmp = root.resolve("..data_tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, root.relativize(version));
        Files.move(tmp, root.resolve(DATA), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // Top-level names: add the new ones, drop the ones no longer published.
        for (String t : top) {
            Path link = root.resolve(t);
            if (!Files.isSymbolicLink(link)) {
                if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException(link + " exists and is not the sidecar's link; refusing to replace it");
                }
                Files.createSymbolicLink(link, Path.of(DATA, t));
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith("..")) {
                    continue;
                }
                if (Files.isSymbolicLink(p) && !top.contains(n)) {
                    Files.delete(p);
                }
            }
        }
        // A reader may be half-way through a path in the version just replaced: keep replaced
        // versions for a grace period, then delete them.
        long now = System.nanoTime();
        if (old != null && !old.equals(version.toRealPath())) {
            retired.add(new Object[] {old, now});
        }
        while (!retired.isEmpty() && now - (long) retired.peek()[1] >= graceNanos) {
            deleteTree((Path) retired.poll()[0]);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    deleteTree(p);
                }
            }
        }
        Files.delete(dir);
    }
}
