package io.cairn.node.log;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes bytes through to a file and syncs it after each {@code every} bytes, so that a large
 * file reaches the disk as it is written rather than in one flush at its end: the member's log
 * shares the disk, and its next fdatasync would wait behind the whole flush.
 */
final class SyncingOutput extends FilterOutputStream {
    /** What syncs the file's data written so far. */
    interface Sync {
        void sync() throws IOException;
    }

    private final Sync sync;
    private final long every;
    private long unsynced;

    SyncingOutput(OutputStream out, Sync sync, long every) {
        super(out);
        if (every < 1) {
            throw new IllegalArgumentException("sync every " + every + " bytes");
        }
        this.sync = sync;
        this.every = every;
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        written(1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        written(len);
    }

    private void written(int n) throws IOException {
        unsynced += n;
        if (unsynced >= every) {
            out.flush();
            sync.sync();
            unsynced = 0;
        }
    }
}
