package io.cairn.node.log;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.proto.Peer.WalRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead log: segment files {@code wal-N.log} of records framed as a 4-byte big-endian
 * length, a CRC32C of the payload, then the payload (a {@link WalRecord}).
 *
 * <p>On open, a torn tail — a last record cut short or half-written by a crash before its fsync —
 * is cut off; a damaged record anywhere else stops the node with a {@link WalCorruptException}
 * naming the file and offset. Appends are buffered; {@link #sync()} makes them durable (the
 * caller batches many appends per sync: group commit).
 */
public final class Wal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Wal.class);
    static final int HEADER = 8;
    static final int MAX_RECORD = 512 << 20;
    static final long SEGMENT_BYTES = 64L << 20;

    private final Path dir;
    private final List<WalRecord> recovered;
    private final boolean tornTailCut;
    private FileChannel current;
    private long currentIndex;
    private long currentSize;
    private ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);

    private Wal(Path dir, List<WalRecord> recovered, boolean tornTailCut, long index, FileChannel channel, long size) {
        this.dir = dir;
        this.recovered = recovered;
        this.tornTailCut = tornTailCut;
        this.currentIndex = index;
        this.current = channel;
        this.currentSize = size;
    }

    /** Opens (or creates) the log in {@code dir}, reading back every record it holds. */
    public static Wal open(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> segments = segments(dir);
        List<WalRecord> records = new ArrayList<>();
        boolean torn = false;
        for (int i = 0; i < segments.size(); i++) {
            boolean last = i == segments.size() - 1;
            long validEnd = read(segments.get(i), last, records);
            long size = Files.size(segments.get(i));
            if (validEnd < size) {
                torn = true;
                try (FileChannel ch = FileChannel.open(segments.get(i), StandardOpenOption.WRITE)) {
                    ch.truncate(validEnd);
                    ch.force(true);
                }
                log.warn("wal: cut a torn tail of {} bytes from {} (a write interrupted by a crash, never acknowledged)",
                        size - validEnd, segments.get(i).getFileName());
            }
        }
        long index = segments.isEmpty() ? 1 : indexOf(segments.get(segments.size() - 1));
        Path path = segmentPath(dir, index);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        long size = ch.size();
        ch.position(size);
        if (segments.isEmpty()) {
            syncDir(dir);
        }
        return new Wal(dir, records, torn, index, ch, size);
    }

    /** The records read back on open, in the order they were written. */
    public List<WalRecord> recovered() {
        return recovered;
    }

    public boolean tornTailCut() {
        return tornTailCut;
    }

    /** Reads one segment into {@code out}; returns where its valid records end. */
    private static long read(Path segment, boolean last, List<WalRecord> out) throws IOException {
        byte[] data = Files.readAllBytes(segment);
        ByteBuffer buf = ByteBuffer.wrap(data);
        int pos = 0;
        CRC32C crc = new CRC32C();
        while (pos < data.length) {
            int remaining = data.length - pos;
            if (remaining < HEADER) {
                return tornOrCorrupt(segment, last, pos, "a record header cut short");
            }
            int len = buf.getInt(pos);
            int sum = buf.getInt(pos + 4);
            if (len < 0 || len > MAX_RECORD || len > remaining - HEADER) {
                // A record running past the end of the file is what a crash mid-write leaves.
                return tornOrCorrupt(segment, last, pos, "a record of length " + len + " running past the end");
            }
            crc.reset();
            crc.update(data, pos + HEADER, len);
            if ((int) crc.getValue() != sum) {
                boolean isFinal = pos + HEADER + len == data.length;
                return tornOrCorrupt(segment, last && (isFinal || allZero(data, pos + HEADER + len)), pos,
                        "a checksum mismatch");
            }
            try {
                out.add(WalRecord.parseFrom(ByteBuffer.wrap(data, pos + HEADER, len)));
            } catch (InvalidProtocolBufferException e) {
                throw new WalCorruptException("wal: record at offset " + pos + " of " + segment
                        + " has a valid checksum but does not parse (" + e.getMessage() + "); refusing to start");
            }
            pos += HEADER + len;
        }
        return pos;
    }

    private static long tornOrCorrupt(Path segment, boolean tornAllowed, int pos, String what) throws WalCorruptException {
        if (tornAllowed) {
            return pos;
        }
        throw new WalCorruptException("wal: corrupt record in the middle of " + segment + " at offset " + pos
                + " (" + what + "); records after it cannot be trusted, so the node will not start."
                + " Restore this member from a snapshot or remove it and let it rejoin.");
    }

    private static boolean allZero(byte[] data, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Buffers records for the next {@link #sync()}. */
    public void append(List<WalRecord> records) throws IOException {
        for (WalRecord r : records) {
            int len = r.getSerializedSize();
            int need = HEADER + len;
            if (scratch.remaining() < need) {
                flushScratch();
                if (scratch.capacity() < need) {
                    scratch = ByteBuffer.allocate(need);
                }
            }
            byte[] payload = r.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(payload);
            scratch.putInt(len).putInt((int) crc.getValue()).put(payload);
        }
    }

    private void flushScratch() throws IOException {
        scratch.flip();
        while (scratch.hasRemaining()) {
            currentSize += current.write(scratch);
        }
        scratch.clear();
    }

    /** Writes what was appended and forces it to disk; rolls to a new segment when this one is full. */
    public void sync() throws IOException {
        flushScratch();
        current.force(false);
        if (currentSize >= SEGMENT_BYTES) {
            roll();
        }
    }

    private void roll() throws IOException {
        current.close();
        currentIndex++;
        current = FileChannel.open(segmentPath(dir, currentIndex), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        currentSize = 0;
        syncDir(dir);
    }

    /**
     * Replaces the whole log with {@code keep} (the state still needed after a snapshot): written
     * to a new segment and synced before the old segments are deleted, so a crash at any point
     * leaves either the old log or the new one.
     */
    public void rewrite(List<WalRecord> keep) throws IOException {
        flushScratch();
        current.force(false);
        current.close();
        long old = currentIndex;
        currentIndex++;
        current = FileChannel.open(segmentPath(dir, currentIndex), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        currentSize = 0;
        append(keep);
        flushScratch();
        current.force(false);
        syncDir(dir);
        for (Path p : segments(dir)) {
            if (indexOf(p) <= old) {
                Files.delete(p);
            }
        }
        syncDir(dir);
    }

    @Override
    public void close() throws IOException {
        flushScratch();
        current.force(false);
        current.close();
    }

    private static List<Path> segments(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "wal-*.log")) {
            ds.forEach(out::add);
        }
        out.sort((a, b) -> Long.compare(indexOf(a), indexOf(b)));
        return out;
    }

    private static long indexOf(Path p) {
        String n = p.getFileName().toString();
        return Long.parseLong(n.substring(4, n.length() - 4));
    }

    static Path segmentPath(Path dir, long index) {
        return dir.resolve(String.format("wal-%020d.log", index));
    }

    static void syncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot fsync a directory; the data files themselves are synced.
        }
    }
}
