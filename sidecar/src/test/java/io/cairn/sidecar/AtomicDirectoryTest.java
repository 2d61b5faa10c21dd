package io.cairn.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicDirectoryTest {
    @TempDir
    Path dir;

    private static SortedMap<String, byte[]> version(int n) {
        // Two files that always agree, each big enough that a torn write would show.
        String body = String.valueOf(n).repeat(20_000);
        SortedMap<String, byte[]> m = new TreeMap<>();
        m.put("a", body.getBytes(StandardCharsets.UTF_8));
        m.put("sub/b", body.getBytes(StandardCharsets.UTF_8));
        return m;
    }

    @Test
    void readersNeverSeeAHalfWrittenFileOrAMixOfVersions() throws Exception {
        AtomicDirectory out = new AtomicDirectory(dir.resolve("out"));
        out.publish(1, version(1));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> problem = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        Thread reader = new Thread(() -> {
            while (!stop.get() && problem.get() == null) {
                try {
                    // A consistent reader resolves ..data once and reads everything through it.
                    Path data = dir.resolve("out/..data").toRealPath();
                    String a = Files.readString(data.resolve("a"));
                    String b = Files.readString(data.resolve("sub/b"));
                    String viaLink = Files.readString(dir.resolve("out/a"));
                    if (!a.equals(b)) {
                        problem.set("mixed versions: " + a.charAt(0) + " vs " + b.charAt(0));
                    }
                    if (viaLink.length() != 20_000 || viaLink.chars().distinct().count() != 1) {
                        problem.set("a torn file of length " + viaLink.length());
                    }
                    reads.incrementAndGet();
                } catch (NoSuchFileException e) {
                    problem.set("a file was missing: " + e.getMessage());
                } catch (Exception e) {
                    problem.set(e.toString());
                }
            }
        });
        reader.start();
        for (int v = 2; v <= 300; v++) {
            out.publish(v, version(v % 10));
        }
        stop.set(true);
        reader.join();
        assertThat(problem.get()).isNull();
        assertThat(reads.get()).isPositive();
        assertThat(Files.readString(dir.resolve("out/sub/b"))).startsWith("0");
    }

    @Test
    void replacedVersionsAreDeletedAfterTheGracePeriod() throws Exception {
        AtomicDirectory out = new AtomicDirectory(dir.resolve("out"), java.time.Duration.ZERO);
        for (int v = 1; v <= 20; v++) {
            out.publish(v, version(v % 10));
        }
        try (var s = Files.list(dir.resolve("out"))) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("..rev-")).count()).isEqualTo(1);
        }
    }

    @Test
    void namesThatDisappearAreUnlinked() throws Exception {
        AtomicDirectory out = new AtomicDirectory(dir.resolve("out"));
        SortedMap<String, byte[]> v1 = new TreeMap<>();
        v1.put("keep", new byte[] {1});
        v1.put("gone", new byte[] {2});
        out.publish(1, v1);
        SortedMap<String, byte[]> v2 = new TreeMap<>();
        v2.put("keep", new byte[] {3});
        out.publish(2, v2);
        assertThat(Files.exists(dir.resolve("out/gone"))).isFalse();
        assertThat(Files.readAllBytes(dir.resolve("out/keep"))).containsExactly(3);
    }
}
