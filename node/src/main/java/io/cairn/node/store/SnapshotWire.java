package io.cairn.node.store;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.cairn.proto.State.Change;
import io.cairn.proto.State.Entry;
import io.cairn.proto.State.Revision;
import java.io.IOException;
import java.util.List;

/**
 * A snapshot's {@link Entry} and {@link Revision} fields written straight from the tree's
 * records, byte for byte what the messages built from them encode to (protobuf writes a
 * message's fields in number order, and these builders set the fields given here). A full
 * history window is a hundred thousand revisions: a message and a builder for each, and for
 * each change, were garbage of the window's size at every snapshot, and their classes, loaded
 * at a member's first snapshot, cost the write path its compiled code (see {@link EncoderRoom}).
 */
final class SnapshotWire {
    /** The most bytes an int64 field takes: a tag of up to five bytes and a ten-byte varint. */
    static final int MAX_INT64_FIELD = 15;

    private SnapshotWire() {
    }

    /** The bytes of a length-delimited field whose body is {@code body} bytes. */
    static int delimited(int field, int body) {
        return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(body) + body;
    }

    /** The body of {@code Entry{path, value, rev}}, as {@code toEntry} sets all three. */
    static int entrySize(FileEntry e) {
        return CodedOutputStream.computeStringSize(Entry.PATH_FIELD_NUMBER, e.path())
                + CodedOutputStream.computeByteArraySize(Entry.VALUE_FIELD_NUMBER, e.value())
                + CodedOutputStream.computeInt64Size(Entry.REV_FIELD_NUMBER, e.rev());
    }

    /** Writes {@code e} as field {@code field}, its body {@code size} bytes ({@link #entrySize}). */
    static void writeEntry(CodedOutputStream out, int field, FileEntry e, int size) throws IOException {
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(size);
        out.writeString(Entry.PATH_FIELD_NUMBER, e.path());
        out.writeByteArray(Entry.VALUE_FIELD_NUMBER, e.value());
        out.writeInt64(Entry.REV_FIELD_NUMBER, e.rev());
    }

    /** The body of {@code Change{path, value unless deleted, deleted}}. */
    static int changeSize(Event ev) {
        return CodedOutputStream.computeStringSize(Change.PATH_FIELD_NUMBER, ev.path())
                + (ev.deleted() ? 0 : CodedOutputStream.computeByteArraySize(Change.VALUE_FIELD_NUMBER, ev.value()))
                + CodedOutputStream.computeBoolSize(Change.DELETED_FIELD_NUMBER, ev.deleted());
    }

    /**
     * The body of {@code Revision{rev, changes, author, time_ms}}: the author and time are the
     * first change's, and each is left out when absent (no author, time 0).
     */
    static int revisionSize(long rev, List<Event> made) {
        int size = CodedOutputStream.computeInt64Size(Revision.REV_FIELD_NUMBER, rev);
        for (Event ev : made) {
            size += delimited(Revision.CHANGES_FIELD_NUMBER, changeSize(ev));
        }
        if (!made.isEmpty() && made.get(0).author() != null) {
            size += CodedOutputStream.computeStringSize(Revision.AUTHOR_FIELD_NUMBER, made.get(0).author());
        }
        if (!made.isEmpty() && made.get(0).timeMs() != 0) {
            size += CodedOutputStream.computeInt64Size(Revision.TIME_MS_FIELD_NUMBER, made.get(0).timeMs());
        }
        return size;
    }

    /** Writes a revision as field {@code field}, its body {@code size} bytes ({@link #revisionSize}). */
    static void writeRevision(CodedOutputStream out, int field, long rev, List<Event> made, int size) throws IOException {
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(size);
        out.writeInt64(Revision.REV_FIELD_NUMBER, rev);
        for (Event ev : made) {
            out.writeTag(Revision.CHANGES_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(changeSize(ev));
            out.writeString(Change.PATH_FIELD_NUMBER, ev.path());
            if (!ev.deleted()) {
                out.writeByteArray(Change.VALUE_FIELD_NUMBER, ev.value());
            }
            out.writeBool(Change.DELETED_FIELD_NUMBER, ev.deleted());
        }
        if (!made.isEmpty() && made.get(0).author() != null) {
            out.writeString(Revision.AUTHOR_FIELD_NUMBER, made.get(0).author());
        }
        if (!made.isEmpty() && made.get(0).timeMs() != 0) {
            out.writeInt64(Revision.TIME_MS_FIELD_NUMBER, made.get(0).timeMs());
        }
    }
}
