package io.cairn.node.server;

import io.cairn.backup.BackupFile;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.State.Snapshot;

/** What SNAPSHOT sends: a captured tree as a backup file, in chunks a frame carries easily. */
final class Backups {
    /** Bytes of the file per response. */
    static final int CHUNK = 1 << 20;

    private Backups() { }

    /** A backup file's bytes and the revision it holds. */
    record Encoded(long rev, byte[] bytes) {}

    /** The backup of {@code capture}, with its retained history or without. */
    static Encoded encode(VersionedTree.Capture capture, boolean withHistory) {
        Snapshot s = capture.build();
        if (!withHistory) {
            s = s.toBuilder().clearOldest().clearBaseFiles().clearHistory().build();
        }
        return new Encoded(s.getRev(), BackupFile.encode(s));
    }
}
