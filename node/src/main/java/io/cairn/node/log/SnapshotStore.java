package io.cairn.node.log;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.cairn.proto.Peer.SnapshotFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot files {@code snap-SLOT.bin}: a CRC32C then a {@link SnapshotFile}. Written to a
 * temporary file, synced, then renamed into place, so a snapshot is either whole or absent.
 */
public final class SnapshotStore {
    private static final Logger log = LoggerFactory.getLogger(SnapshotStore.class);
    /** A snapshot being written is synced after each of these many bytes (see {@link SyncingOutput}). */
    static final long SYNC_EVERY = 1 << 20;
    private final Path dir;

    public SnapshotStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    public void save(SnapshotFile snap) throws IOException {
        save(SnapshotBody.of(snap));
    }

    public void save(SnapshotBody snap) throws IOException {
        for (Path p : list()) {
            if (indexOf(p) > snap.slot()) {
                // A newer snapshot is already here (one installed from the leader while this
                // older one was being taken): keep it. The log after the older one's slot is gone.
                log.info("not saving the snapshot at slot {}: a newer one ({}) is already saved", snap.slot(), p.getFileName());
                return;
            }
        }
        Path tmp = dir.resolve("snap.tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            // Streamed, checksummed on the way, and the checksum put in front last: encoding a
            // snapshot of a full history into one array (and copying that into another) made
            // allocations of tens of megabytes at a time, which the collector paid for in pauses.
            CRC32C crc = new CRC32C();
            ch.position(4);
            SnapshotOutput out = new SnapshotOutput(new CheckedOutputStream(
                    new SyncingOutput(Channels.newOutputStream(ch), () -> ch.force(false), SYNC_EVERY), crc));
            snap.writeTo(out);
            out.flush();
            ByteBuffer sum = ByteBuffer.allocate(4).putInt(0, (int) crc.getValue());
            while (sum.hasRemaining()) {
                ch.write(sum, sum.position());
            }
            ch.force(true);
        }
        Path target = dir.resolve(String.format("snap-%020d.bin", snap.slot()));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Wal.syncDir(dir);
        for (Path p : list()) {
            if (!p.equals(target)) {
                Files.delete(p);
            }
        }
    }

    /** The newest intact snapshot, or null. A damaged newer one is skipped with a warning. */
    public SnapshotFile loadLatest() throws IOException {
        Encoded latest = newest(list());
        return latest == null ? null : parse(latest.bytes());
    }

    /** The newest intact snapshot file's encoded {@link SnapshotFile} (mapped, checksum checked) and its slot. */
    public record Encoded(long slot, ByteBuffer bytes) {}

    /**
     * The newest intact snapshot as its file holds it, or null: what a leader sends a member
     * behind. The checksum is checked once per file (a GiB takes a fraction of a second), not per send.
     */
    public synchronized Encoded latestEncoded() throws IOException {
        List<Path> all = list();
        if (lastEncoded == null || all.isEmpty() || indexOf(all.get(all.size() - 1)) != lastEncoded.slot()) {
            lastEncoded = newest(all);
        }
        return lastEncoded;
    }

    private Encoded lastEncoded;

    /** The newest of {@code files} whose checksum holds, mapped; a damaged newer one is skipped with a warning. */
    private static Encoded newest(List<Path> files) throws IOException {
        for (int i = files.size() - 1; i >= 0; i--) {
            Path file = files.get(i);
            ByteBuffer body;
            try {
                body = checkedBody(map(file));
            } catch (java.nio.file.NoSuchFileException replaced) {
                continue; // a newer one replaced it meanwhile; that one is listed next time
            }
            if (body != null) {
                return new Encoded(indexOf(file), body);
            }
            log.warn("snapshot {} is damaged; trying an older one", file.getFileName());
        }
        return null;
    }

    /** The encoded message after the checksum, or null when the checksum does not hold. */
    private static ByteBuffer checkedBody(ByteBuffer data) {
        if (data.remaining() < 4) {
            return null;
        }
        int sum = data.getInt(data.position());
        ByteBuffer body = data.duplicate().position(data.position() + 4);
        CRC32C crc = new CRC32C();
        crc.update(body.duplicate());
        return (int) crc.getValue() == sum ? body.slice() : null;
    }

    /**
     * A snapshot file's bytes, mapped rather than read into an array: the parsed values point
     * into the mapping until the tree copies them, so loading a snapshot of a GiB of values takes
     * a GiB of heap, not three (the file's bytes, the parsed message, the tree). Found by the
     * benchmark's data-set curve: a member with a 3 GiB heap and a million 1 KiB values ran out
     * of memory restarting. A file's bytes are never changed once renamed into place, only
     * deleted, which leaves a mapping intact (and lets a leader send it as it is).
     */
    private static ByteBuffer map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new IOException("snapshot " + file + " is " + size + " bytes; a snapshot is at most 2 GiB (the limit of"
                        + " one encoded message)");
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
    }

    /**
     * A snapshot file's bytes (CRC32C of the rest, then the encoded {@link SnapshotFile}), or null
     * when the checksum does not hold. Throws {@link com.google.protobuf.InvalidProtocolBufferException}
     * for bytes whose checksum holds but that do not parse (a file of another format).
     */
    static SnapshotFile decode(byte[] data) throws IOException {
        return decode(ByteBuffer.wrap(data));
    }

    private static SnapshotFile decode(ByteBuffer data) throws IOException {
        ByteBuffer body = checkedBody(data);
        return body == null ? null : parse(body);
    }

    /** An encoded {@link SnapshotFile} whose checksum held. */
    private static SnapshotFile parse(ByteBuffer body) throws IOException {
        // Aliasing: bytes fields share the buffer instead of being copied out of it. Protobuf
        // aliases only a buffer it is told is immutable, which CodedInputStream.newInstance(ByteBuffer)
        // never is: every value was copied to the heap (a heap dump of the member that ran out of
        // memory restarting held 900,000 parsed 1 KiB values beside the tree's own copies). A
        // ByteString wrapping the buffer is immutable, and its input aliases.
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(body).newCodedInput();
        in.enableAliasing(true);
        SnapshotFile snap = SnapshotFile.parseFrom(in);
        in.checkLastTagWas(0);
        return snap;
    }

    /** The slot in a snapshot file's name (snap-SLOT.bin), or -1 for a name not of that form. */
    private static long indexOf(Path p) {
        String n = p.getFileName().toString();
        try {
            return Long.parseLong(n.substring("snap-".length(), n.length() - ".bin".length()));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return -1;
        }
    }

    private List<Path> list() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "snap-*.bin")) {
            ds.forEach(out::add);
        }
        out.sort(null);
        return out;
    }
}
