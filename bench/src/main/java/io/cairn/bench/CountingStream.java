package io.cairn.bench;

import java.io.OutputStream;

/** An output stream that keeps nothing, only counts: where a snapshot is taken to be timed. */
final class CountingStream extends OutputStream {
    private long count;

    @Override
    public void write(int b) {
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        count += len;
    }

    long count() {
        return count;
    }
}
