package io.cairn.testing.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.cli.CairnCli;
import io.cairn.client.CairnClient;
import io.cairn.testing.process.ProcessCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the operator's backups run, with real member processes: `cairn snapshot save DIR --keep N`
 * (the CronJob's command) keeps the N newest backups, and a new cluster whose members start with
 * `--restore-from FILE` (the StatefulSet's first start under spec.restoreFrom) begins at the
 * backup's revision with its files; a member restarted with the same flag keeps what it has.
 */
class ScheduledBackupProcessTest {
    record Run(int code, String out, String err) {}

    static Run cairn(String endpoints, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = CairnCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("CAIRN_ENDPOINTS", endpoints));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static List<Path> backups(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".bak")).sorted().toList();
        }
    }

    @Test
    void savedBackupsAreKeptNewestFirstAndANewClusterStartsFromOne() throws Exception {
        Path dir = Files.createTempDirectory("cairn-backups");
        try (ProcessCluster source = ProcessCluster.start(3); CairnClient c = CairnClient.connect(source.endpoints())) {
            for (int round = 1; round <= 3; round++) {
                for (int i = 0; i < 50; i++) {
                    c.set("/config/app/k" + i, "round " + round, -1);
                }
                Run save = cairn(source.endpoints(), "snapshot", "save", dir.toString(), "--keep", "2", "--name", "demo");
                assertThat(save.code()).as(save.toString()).isZero();
                assertThat(save.out()).startsWith("saved rev ").contains(dir.resolve("demo-").toString());
                if (round == 3) {
                    assertThat(save.out()).contains("removed " + dir.resolve("demo-"));
                }
                Thread.sleep(1100); // names carry the second they were taken
            }
            // Another name's backups and other files are not this name's to prune.
            Files.writeString(dir.resolve("notes.txt"), "mine");
            List<Path> kept = backups(dir);
            assertThat(kept).hasSize(2);
            assertThat(Files.exists(dir.resolve("notes.txt"))).isTrue();
            long rev = c.rev().rev();
            Path newest = kept.get(1);
            assertThat(newest.getFileName().toString()).matches("demo-\\d{8}T\\d{6}Z-r\\d+\\.bak");
            long savedRev = Long.parseLong(newest.getFileName().toString().replaceAll(".*-r(\\d+)\\.bak", "$1"));
            assertThat(savedRev).isLessThanOrEqualTo(rev);

            try (ProcessCluster restored = ProcessCluster.start(3, List.of("--restore-from", newest.toString()));
                 CairnClient r = CairnClient.connect(restored.endpoints())) {
                assertThat(r.get("/config/app/k7").text()).isEqualTo("round 3");
                assertThat(r.walk("/config/app/*", 0).items()).hasSize(50);
                assertThat(r.rev().rev()).isGreaterThanOrEqualTo(savedRev);
                assertThat(r.get("/config/app/k7", savedRev).text()).as("past reads at the backup's revision").isEqualTo("round 3");
                long written = r.set("/config/app/after", "restore", -1);
                assertThat(written).isGreaterThan(savedRev);
                // A member restarted with the same flags keeps what it has (it does not restore again).
                ProcessCluster.Member m = restored.member(2);
                restored.kill(m);
                restored.launch(m);
                restored.awaitServing(m, Duration.ofSeconds(30));
                assertThat(Files.readString(restored.logs().resolve("member-2.log"))).contains("already holds a member");
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                try (CairnClient only2 = CairnClient.connect(m.endpoint())) {
                    while (!"restore".equals(only2.get("/config/app/after").text())) {
                        assertThat(System.nanoTime()).as("member 2 has the write made after the restore").isLessThan(deadline);
                        Thread.sleep(50);
                    }
                }
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void badRetentionIsRefused() throws Exception {
        Path dir = Files.createTempDirectory("cairn-backups");
        try {
            Path file = dir.resolve("x.bak");
            assertThat(cairn("127.0.0.1:1", "snapshot", "save", file.toString(), "--keep", "2").err())
                    .contains("--keep is for saving into a directory");
            assertThat(cairn("127.0.0.1:1", "snapshot", "save", dir.toString(), "--keep", "0").err()).contains("--keep must be at least 1");
            assertThat(cairn("127.0.0.1:1", "snapshot", "save", dir.toString(), "--name", "a/b").err()).contains("--name is letters");
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
