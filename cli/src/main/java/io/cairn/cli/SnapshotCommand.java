package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.backup.BackupFile;
import io.cairn.client.CairnClient;
import io.cairn.node.Restore;
import io.cairn.proto.State.Snapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "snapshot", description = {
        "Back up the whole tree, and build a new cluster from a backup (etcdctl's habits).",
        "  cairn snapshot save FILE [--no-history]     a consistent backup at the latest revision (admin)",
        "  cairn snapshot save DIR [--keep N] [--name P]",
        "                                              into DIR as P-YYYYMMDDTHHMMSSZ-rREV.bak, the N newest kept",
        "  cairn snapshot status FILE                  its revision, size, files, history and SHA-256",
        "  cairn snapshot restore FILE --data-dir DIR --id N --members 1=HOST:PEERPORT,2=...",
        "                                              a data directory for member N of a new cluster",
        "Restore every member of the new cluster from the same file with the same --members, then start each",
        "with only --id, --data-dir and its client and HTTP addresses: it starts at the backup's revision."})
final class SnapshotCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ACTION", description = "save, status or restore")
    String action;

    @Parameters(index = "1", paramLabel = "FILE")
    Path file;

    @Option(names = "--no-history", description = "save: only the files at the revision, not the retained history.")
    boolean noHistory;

    @Option(names = "--keep", paramLabel = "N", description = "save into a directory: keep the N newest backups of --name there.")
    Integer keep;

    @Option(names = "--name", defaultValue = "cairn", paramLabel = "P",
            description = "save into a directory: the backups' name, before the time and revision (default cairn).")
    String name;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "restore: the new member's data directory (must be empty).")
    Path dataDir;

    @Option(names = "--id", paramLabel = "N", description = "restore: the new member's id.")
    Long id;

    @Option(names = "--members", paramLabel = "ID=HOST:PORT,...", description = "restore: every member of the new cluster"
            + " with its peer address (as cairn-node --peers takes them).")
    String members;

    @Override
    public Integer call() throws Exception {
        takeOptions();
        return switch (action) {
            case "save" -> save();
            case "status" -> status();
            case "restore" -> restore();
            default -> throw new CairnCli.UsageException("unknown snapshot action \"" + action + "\" (use save, status or restore)");
        };
    }

    /** A backup saved into a directory: NAME-TIME-rREV.bak, so a listing in name order is oldest first. */
    private static final java.util.regex.Pattern IN_DIR = java.util.regex.Pattern.compile("-\\d{8}T\\d{6}Z-r\\d+\\.bak");

    private int save() throws IOException {
        boolean intoDir = Files.isDirectory(file);
        if (!intoDir && keep != null) {
            throw new CairnCli.UsageException("--keep is for saving into a directory; " + file + " is not one");
        }
        if (keep != null && keep < 1) {
            throw new CairnCli.UsageException("--keep must be at least 1");
        }
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new CairnCli.UsageException("--name is letters, digits, '.', '_' and '-', not \"" + name + "\"");
        }
        Path parent = intoDir ? file.toAbsolutePath() : file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, intoDir ? "." + name : file.getFileName().toString(), ".part");
        CairnClient.Backup b;
        long t0 = System.nanoTime();
        try (OutputStream out = Files.newOutputStream(tmp)) {
            // A large tree takes longer than one request: ten minutes at least.
            Duration wait = root.timeout().compareTo(Duration.ofMinutes(10)) > 0 ? root.timeout() : Duration.ofMinutes(10);
            b = client().snapshot(out, !noHistory, wait);
        } catch (RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Path target = file;
        if (intoDir) {
            String time = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                    .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
            target = file.resolve(name + "-" + time + "-r" + b.rev() + ".bak");
        }
        // Only a whole, checked backup takes the name: a failed save leaves nothing that looks like one.
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        List<Path> removed = keep == null ? List.of() : prune(file, keep);
        if (json()) {
            ObjectNode o = JSON.createObjectNode().put("file", target.toString()).put("rev", b.rev()).put("bytes", b.bytes())
                    .put("sha256", b.sha256()).put("ms", ms);
            removed.forEach(p -> o.withArray("removed").add(p.toString()));
            printJson(o);
        } else {
            println("saved rev " + b.rev() + " to " + target + " (" + b.bytes() + " bytes, sha256 " + b.sha256() + ", " + ms + " ms)");
            removed.forEach(p -> println("removed " + p));
        }
        return 0;
    }

    /** Deletes all but the {@code keep} newest backups of {@link #name} in {@code dir}; the deleted ones. */
    private List<Path> prune(Path dir, int keep) throws IOException {
        List<Path> mine;
        try (var files = Files.list(dir)) {
            mine = files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(name) && IN_DIR.matcher(n.substring(name.length())).matches();
            }).sorted().toList();
        }
        List<Path> gone = new ArrayList<>();
        for (Path p : mine.subList(0, Math.max(0, mine.size() - keep))) {
            Files.deleteIfExists(p);
            gone.add(p);
        }
        return gone;
    }

    private BackupFile.Read read() throws IOException {
        if (!Files.isReadable(file)) {
            throw new CairnCli.UsageException(file + " cannot be read");
        }
        try {
            return BackupFile.decode(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new CairnCli.UsageException(file + ": " + e.getMessage());
        }
    }

    private int status() throws IOException {
        BackupFile.Read r = read();
        Snapshot s = r.snapshot();
        ObjectNode o = JSON.createObjectNode().put("file", file.toString()).put("rev", s.getRev()).put("bytes", r.bytes())
                .put("files", s.getFilesCount()).put("sessions", s.getSessionsCount())
                .put("history", s.hasOldest() ? "revisions " + (s.getOldest() + 1) + " to " + s.getRev() : "none")
                .put("sha256", r.sha256());
        if (json()) {
            printJson(o);
        } else {
            o.fields().forEachRemaining(f -> println(f.getKey() + ": " + f.getValue().asText()));
        }
        return 0;
    }

    private int restore() throws IOException {
        if (dataDir == null || id == null || members == null) {
            throw new CairnCli.UsageException("snapshot restore needs --data-dir, --id and --members");
        }
        Map<Long, String> peers = new TreeMap<>();
        for (String m : members.split(",")) {
            String[] kv = m.trim().split("=", 2);
            try {
                if (kv.length != 2 || !kv[1].matches("[^:\\s]+:\\d{1,5}") || Long.parseLong(kv[0]) < 1) {
                    throw new NumberFormatException();
                }
                peers.put(Long.parseLong(kv[0]), kv[1]);
            } catch (NumberFormatException e) {
                throw new CairnCli.UsageException("--members: \"" + m.trim() + "\" is not ID=HOST:PORT (ID a positive integer)");
            }
        }
        read(); // the reasons a file is refused, said the same way as status says them
        Restore.Result r;
        long t0 = System.nanoTime();
        try {
            r = Restore.into(file, dataDir, id, peers);
        } catch (IllegalArgumentException e) {
            throw new CairnCli.UsageException(e.getMessage());
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        List<String> ids = new ArrayList<>();
        peers.keySet().forEach(x -> ids.add(Long.toString(x)));
        if (json()) {
            printJson(JSON.createObjectNode().put("dataDir", dataDir.toString()).put("id", id).put("rev", r.rev())
                    .put("files", r.files()).put("sha256", r.sha256()).put("ms", ms));
        } else {
            println("restored rev " + r.rev() + " (" + r.files() + " files) into " + dataDir + " for member " + id + " of "
                    + String.join(",", ids) + " (" + ms + " ms); start it with: cairn-node --id " + id + " --data-dir " + dataDir
                    + " --client-addr HOST:PORT --http-addr HOST:PORT");
        }
        return 0;
    }
}
