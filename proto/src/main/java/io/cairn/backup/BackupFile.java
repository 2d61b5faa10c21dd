package io.cairn.backup;

import com.google.protobuf.CodedOutputStream;
import io.cairn.proto.State.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A Cairn backup: one consistent copy of the tree at a revision (with its retained history, or
 * without), as SNAPSHOT streams it and {@code cairn snapshot save} writes it.
 *
 * <pre>
 * "CAIRNBAK"        8 bytes, the magic
 * version           4 bytes, big-endian (1)
 * length            8 bytes, big-endian: of the snapshot that follows
 * snapshot          the encoded cairn.state.Snapshot (state.proto)
 * sha256            32 bytes: of everything before it
 * </pre>
 *
 * A truncated, extended or altered file is refused with the reason, before anything is restored.
 */
public final class BackupFile {
    static final byte[] MAGIC = "CAIRNBAK".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    private static final int HEADER = MAGIC.length + 4 + 8;
    private static final int DIGEST = 32;

    private BackupFile() { }

    /** A backup read and checked: the snapshot, and the hex SHA-256 that sealed it. */
    public record Read(Snapshot snapshot, String sha256, long bytes) {}

    /**
     * The whole file for {@code snapshot}, {@link #write} into one array of the file's size (a
     * small backup, or a test's; a member streams its backups).
     */
    public static byte[] encode(Snapshot snapshot) {
        int size = snapshot.getSerializedSize();
        byte[] file = new byte[fileBytes(size)];
        ByteBuffer into = ByteBuffer.wrap(file);
        try {
            write(new java.io.OutputStream() {
                @Override
                public void write(int b) {
                    into.put((byte) b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    into.put(b, off, len);
                }
            }, size, snapshot::writeTo);
        } catch (IOException e) {
            throw new IllegalStateException("encoding a snapshot into its own size", e);
        }
        return file;
    }

    /** The bytes of the file around a snapshot of {@code size} bytes, if it is no more than {@link #decode} reads (2 GiB). */
    private static int fileBytes(long size) {
        if (size < 0 || (long) HEADER + size + DIGEST > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a backup of " + size + " bytes is more than one file of 2 GiB holds");
        }
        return (int) (HEADER + size + DIGEST);
    }

    /** The bytes of a file beyond its snapshot's: the header and the seal. */
    public static int overhead() {
        return HEADER + DIGEST;
    }

    /** Writes a snapshot's encoding into a stream (see {@link #write}). */
    public interface Body {
        void writeTo(CodedOutputStream out) throws IOException;
    }

    /**
     * Writes a backup file whose snapshot, of {@code size} bytes, {@code body} writes, without
     * holding the file: the header, the body through a buffer of 64 KiB, then the seal. Returns
     * the seal's hex SHA-256 (what {@link #seal} gives for the whole file).
     *
     * @throws IllegalArgumentException when the file would be more than {@link #decode} reads (2 GiB)
     * @throws IllegalStateException when {@code body} writes other than {@code size} bytes
     */
    public static String write(java.io.OutputStream out, long size, Body body) throws IOException {
        fileBytes(size);
        MessageDigest sha = sha256();
        java.io.OutputStream hashed = new java.security.DigestOutputStream(out, sha);
        hashed.write(ByteBuffer.allocate(HEADER).put(MAGIC).putInt(VERSION).putLong(size).array());
        CodedOutputStream coded = CodedOutputStream.newInstance(hashed, 64 * 1024);
        body.writeTo(coded);
        coded.flush();
        if (coded.getTotalBytesWritten() != size) {
            throw new IllegalStateException("the snapshot wrote " + coded.getTotalBytesWritten() + " bytes where its size is " + size);
        }
        byte[] digest = sha.digest();
        out.write(digest);
        return HexFormat.of().formatHex(digest);
    }

    /** The hex SHA-256 of a whole file's contents before its seal (what {@link #decode} checks it against). */
    public static String seal(byte[] file) {
        return HexFormat.of().formatHex(Arrays.copyOfRange(file, file.length - DIGEST, file.length));
    }

    /** Checks and parses a whole file; IOException saying what is wrong with it. */
    public static Read decode(byte[] file) throws IOException {
        if (file.length < MAGIC.length || !Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IOException("not a Cairn backup (it does not start with CAIRNBAK)");
        }
        if (file.length < HEADER) {
            throw new IOException("truncated: " + file.length + " bytes, shorter than the header");
        }
        ByteBuffer head = ByteBuffer.wrap(file, 0, HEADER);
        head.position(MAGIC.length);
        int version = head.getInt();
        if (version != VERSION) {
            throw new IOException("backup format version " + version + "; this Cairn reads version " + VERSION);
        }
        long length = head.getLong();
        long expected = HEADER + length + DIGEST;
        if (length < 0 || file.length < expected) {
            throw new IOException("truncated: " + file.length + " bytes where the header promises " + expected);
        }
        if (file.length > expected) {
            throw new IOException("corrupted: " + (file.length - expected) + " bytes after the end the header gives");
        }
        MessageDigest sha = sha256();
        sha.update(file, 0, (int) (HEADER + length));
        byte[] digest = sha.digest();
        if (!Arrays.equals(digest, 0, DIGEST, file, (int) (HEADER + length), file.length)) {
            throw new IOException("corrupted: its SHA-256 does not match its contents");
        }
        Snapshot s;
        try {
            // Values share the file's bytes rather than copy them: a backup is held whole once, not twice.
            com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(file, HEADER, (int) length);
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            s = Snapshot.parseFrom(in);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException("corrupted: the snapshot inside does not parse (" + e.getMessage() + ")", e);
        }
        return new Read(s, HexFormat.of().formatHex(digest), file.length);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
