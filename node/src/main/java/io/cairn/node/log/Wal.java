package io.cairn.node.log;

import com.google.protobuf.CodedOutputStream;
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
 *
 * <p>A segment is grown ahead of its records by writing zeros, a few MiB at a time, and syncing
 * that once with its new length; the records then overwrite the zeros. A sync that only has data
 * to flush, not a file that grew, is much cheaper (as ZooKeeper pads its log, and etcd
 * preallocates its segments). A length of zero where a record header belongs, followed by
 * nothing but zeros, is where the records end.
 */
public final class Wal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Wal.class);
    static final int HEADER = 8;
    static final int MAX_RECORD = 512 << 20;
    static final long SEGMENT_BYTES = 64L << 20;
    static final long PREALLOCATE_BYTES = 4L << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024);

    private final Path dir;
    private List<WalRecord> recovered;
    private final boolean tornTailCut;
    private FileChannel current;
    private long currentIndex;
    /** Where the records of the current segment end: the next one goes here. */
    private long currentSize;
    /** How long the current segment's file is: zeros after {@link #currentSize}. */
    private long allocated;
    private ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
    private final CRC32C crc = new CRC32C();

    private Wal(Path dir, List<WalRecord> recovered, boolean tornTailCut, long index, FileChannel channel, long size,
            long allocated) {
        this.dir = dir;
        this.recovered = recovered;
        this.tornTailCut = tornTailCut;
        this.currentIndex = index;
        this.current = channel;
        this.currentSize = size;
        this.allocated = allocated;
    }

    /** Where one segment's records stopped, and whether a torn or garbled record stopped them. */
    record End(long at, boolean torn) {}

    /** Opens (or creates) the log in {@code dir}, reading back every record it holds. */
    public static Wal open(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> segments = segments(dir);
        List<WalRecord> records = new ArrayList<>();
        boolean torn = false;
        long lastEnd = 0;
        for (int i = 0; i < segments.size(); i++) {
            boolean last = i == segments.size() - 1;
            End end = read(segments.get(i), last, records);
            long validEnd = end.at();
            lastEnd = validEnd;
            long size = Files.size(segments.get(i));
            if (end.torn()) {
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
        if (segments.isEmpty()) {
            syncDir(dir);
        }
        return new Wal(dir, records, torn, index, ch, lastEnd, ch.size());
    }

    /** The records read back on open, in the order they were written (empty once forgotten). */
    public List<WalRecord> recovered() {
        return recovered;
    }

    /**
     * Lets go of the records read back on open, once the caller has them. Kept, they held every
     * value written since the last snapshot for as long as the member ran, after the log in
     * memory had long dropped them at the next snapshot: half a GiB in a member restarted with
     * 500,000 1 KiB writes to replay.
     */
    public void forgetRecovered() {
        recovered = List.of();
    }

    public boolean tornTailCut() {
        return tornTailCut;
    }

    /** Reads one segment into {@code out}; returns where its valid records end. */
    private static End read(Path segment, boolean last, List<WalRecord> out) throws IOException {
        return parse(Files.readAllBytes(segment), segment, last, out);
    }

    /**
     * One segment's bytes to its records (into {@code out}); returns where the valid records end
     * and whether a torn record stopped them. Throws {@link WalCorruptException} for damage that
     * a crash cannot explain (anywhere in a segment that is not the last, or with records after
     * it). Pure, so the fuzz target reads what a member reads.
     */
    static End parse(byte[] data, Path segment, boolean last, List<WalRecord> out) throws WalCorruptException {
        ByteBuffer buf = ByteBuffer.wrap(data);
        int pos = 0;
        CRC32C crc = new CRC32C();
        while (pos < data.length) {
            int remaining = data.length - pos;
            int len = remaining < HEADER ? 0 : buf.getInt(pos);
            if (len == 0 && allZero(data, pos)) {
                return new End(pos, false); // the zeros written ahead of the records
            }
            if (remaining < HEADER) {
                return tornOrCorrupt(segment, last, pos, "a record header cut short");
            }
            int sum = buf.getInt(pos + 4);
            if (len == 0) {
                // Followed by more than zeros: a header that never reached the disk, with later
                // bytes that did.
                return tornOrCorrupt(segment, last, pos, "an empty record header before more data");
            }
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
        return new End(pos, false);
    }

    private static End tornOrCorrupt(Path segment, boolean tornAllowed, int pos, String what) throws WalCorruptException {
        if (tornAllowed) {
            return new End(pos, true);
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
            frame(r, scratch, crc);
        }
    }

    /**
     * Puts one record into {@code buf} at its position as the log stores it: length, CRC32C of the
     * payload, payload. Encoded straight into the buffer, and checksummed there: no copy per record.
     */
    static void frame(WalRecord r, ByteBuffer buf, CRC32C crc) throws IOException {
        int len = r.getSerializedSize();
        int at = buf.position();
        int payload = at + HEADER;
        CodedOutputStream out = CodedOutputStream.newInstance(buf.array(), buf.arrayOffset() + payload, len);
        r.writeTo(out);
        out.checkNoSpaceLeft();
        crc.reset();
        crc.update(buf.array(), buf.arrayOffset() + payload, len);
        buf.putInt(at, len).putInt(at + 4, (int) crc.getValue()).position(payload + len);
    }

    private void flushScratch() throws IOException {
        scratch.flip();
        if (currentSize + scratch.remaining() > allocated) {
            preallocate(currentSize + scratch.remaining());
        }
        while (scratch.hasRemaining()) {
            currentSize += current.write(scratch, currentSize);
        }
        scratch.clear();
    }

    /** Grows the segment with zeros to past {@code end}, and syncs it with its new length. */
    private void preallocate(long end) throws IOException {
        long target = end + PREALLOCATE_BYTES;
        long at = allocated;
        while (at < target) {
            ByteBuffer z = ZEROS.duplicate();
            z.limit((int) Math.min(z.capacity(), target - at));
            at += current.write(z, at);
        }
        current.force(true);
        allocated = at;
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
        allocated = 0;
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
        allocated = 0;
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
