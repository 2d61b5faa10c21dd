package io.cairn.node;

import io.cairn.backup.BackupFile;
import io.cairn.node.log.SnapshotStore;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Peer.ClusterConfig;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.SnapshotFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Makes a member's data directory from a backup: the member of a new cluster whose tree starts as
 * the backup's, at the same revision (with the history the backup kept). Every member of the new
 * cluster is restored from the same backup with the same members; each then starts with only
 * {@code --id} and {@code --data-dir} (its membership is in the directory), and the log goes on
 * from there.
 *
 * <p>The directory gets what a member's own first start and first snapshot would leave:
 * {@code node.id}, {@code cluster.pb} (the members and their peer addresses) and
 * {@code snap/snap-…1.bin}, the backup's tree at slot 1, which every member of the new cluster
 * holds alike, so its log starts at slot 2 everywhere.
 */
public final class Restore {
    /** The slot a restored tree stands at: the same on every member of the new cluster. */
    static final long SLOT = 1;

    private Restore() { }

    /** What was restored. */
    public record Result(long rev, int files, long oldestRev, String sha256) {}

    /**
     * Restores {@code backup} into {@code dataDir} for member {@code id} of a cluster whose
     * members' peer addresses are {@code peers}. Refuses, changing nothing, a backup that is
     * damaged, a directory that is not empty, and an id not among the members.
     */
    public static Result into(Path backup, Path dataDir, long id, Map<Long, String> peers) throws IOException {
        if (!peers.containsKey(id)) {
            throw new IllegalArgumentException("member " + id + " is not among the members " + peers.keySet());
        }
        if (Files.isDirectory(dataDir)) {
            try (var entries = Files.list(dataDir)) {
                // A fresh ext4 volume (a Kubernetes PVC) holds lost+found: still empty of any member.
                if (entries.anyMatch(e -> !e.getFileName().toString().equals("lost+found"))) {
                    throw new IllegalArgumentException("data dir " + dataDir + " is not empty: a restore makes a new member, it never"
                            + " writes over one");
                }
            }
        } else if (Files.exists(dataDir)) {
            throw new IllegalArgumentException(dataDir + " is not a directory");
        }
        BackupFile.Read read;
        try {
            read = BackupFile.decode(Files.readAllBytes(backup));
        } catch (IOException e) {
            throw new IOException(backup + ": " + e.getMessage(), e);
        }
        VersionedTree tree;
        try {
            // The same checks a member makes when it loads a snapshot, before anything is written.
            tree = VersionedTree.restore(read.snapshot(), StoreConfig.defaults());
        } catch (IllegalArgumentException e) {
            throw new IOException(backup + ": its tree does not load: " + e.getMessage(), e);
        }
        List<Member> members = new ArrayList<>();
        peers.forEach((m, addr) -> members.add(Member.newBuilder().setId(m).setPeerAddr(addr).build()));
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("node.id"), id + "\n", StandardCharsets.UTF_8);
        Files.write(dataDir.resolve("cluster.pb"), ClusterConfig.newBuilder().addAllMembers(members).build().toByteArray());
        new SnapshotStore(dataDir.resolve("snap")).save(SnapshotFile.newBuilder().setSlot(SLOT).setTree(read.snapshot())
                .addAllMembers(members).build());
        return new Result(tree.rev(), tree.fileCount(), tree.oldestRev(), read.sha256());
    }
}
