package io.cairn.node.server;

import io.cairn.backup.BackupFile;
import io.cairn.node.store.VersionedTree;
import java.io.IOException;
import java.io.OutputStream;

/** What SNAPSHOT sends: a captured tree as a backup file, streamed in chunks a frame carries easily. */
final class Backups {
    /** Bytes of the file per response. */
    static final int CHUNK = 1 << 20;
    /** Bytes queued for the client, not yet on its socket, past which encoding waits for it. */
    static final long WINDOW = 8L * CHUNK;

    private Backups() { }

    /** A backup sent: its revision, its size, and its seal (hex SHA-256). */
    record Sent(long rev, long bytes, String seal) {}

    /**
     * Writes the backup of {@code capture}, with its retained history or without, to {@code out}
     * one entry at a time: neither the snapshot's message nor its encoding is held whole.
     */
    static Sent write(VersionedTree.Capture capture, boolean withHistory, OutputStream out) throws IOException {
        VersionedTree.Capture c = withHistory ? capture : capture.withoutHistory();
        long size = c.serializedSize();
        String seal = BackupFile.write(out, size, c::writeTo);
        out.flush();
        return new Sent(c.rev(), size + BackupFile.overhead(), seal);
    }
}
