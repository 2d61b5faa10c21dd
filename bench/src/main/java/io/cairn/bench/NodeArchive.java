package io.cairn.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The class-data-sharing archive bin/cairn-node and the node image start members with, made once
 * per benchmark run for the benchmark's own classpath (members run from it) from
 * docker/cairn-node.classlist: without it a member would start 0.3 s later than a deployed one,
 * which the restart curve would count against Cairn.
 */
final class NodeArchive {
    private static final Path LIST = Path.of("docker", "cairn-node.classlist");
    private static boolean tried;
    private static Path archive;

    private NodeArchive() {
    }

    /**
     * {@code jvmFlags} and the flag that maps the archive, unless they already say how to share
     * classes or no archive could be made (then as they are, and why once on stdout).
     */
    static List<String> with(List<String> jvmFlags) {
        if (jvmFlags.stream().anyMatch(f -> f.startsWith("-Xshare") || f.startsWith("-XX:SharedArchiveFile"))) {
            return jvmFlags;
        }
        Path a = archive(jvmFlags);
        if (a == null) {
            return jvmFlags;
        }
        List<String> flags = new ArrayList<>(jvmFlags);
        flags.add("-XX:SharedArchiveFile=" + a);
        return flags;
    }

    private static synchronized Path archive(List<String> jvmFlags) {
        if (tried) {
            return archive;
        }
        tried = true;
        if (!Files.isRegularFile(LIST)) {
            System.out.println("cairn members start without a class-data-sharing archive: no " + LIST + " here");
            return null;
        }
        try {
            Path dir = Files.createTempDirectory("cairn-bench-cds");
            Path out = dir.resolve("cairn-node.jsa");
            Path log = dir.resolve("dump.log");
            // Deleted at exit in the reverse order of these calls: the files, then their directory
            // (registered last, it was deleted first while not yet empty, and one was left per run).
            dir.toFile().deleteOnExit();
            out.toFile().deleteOnExit();
            log.toFile().deleteOnExit();
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xshare:dump",
                    "-XX:SharedClassListFile=" + LIST.toAbsolutePath(), "-XX:SharedArchiveFile=" + out, "-Xlog:cds=error"));
            // The same collector as the members: an archive dumped under another maps without its heap objects.
            jvmFlags.stream().filter(f -> f.matches("-XX:\\+Use\\w+GC")).forEach(cmd::add);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            if (p.isAlive() || p.exitValue() != 0 || !Files.isRegularFile(out)) {
                String why = Files.readString(log).lines().filter(l -> l.contains("rror")).findFirst().orElse("exit " + p.exitValue());
                System.out.println("cairn members start without a class-data-sharing archive: dumping it failed (" + why + ")");
                return null;
            }
            archive = out;
            return out;
        } catch (IOException e) {
            System.out.println("cairn members start without a class-data-sharing archive: " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
