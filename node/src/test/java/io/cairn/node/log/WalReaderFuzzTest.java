package io.cairn.node.log;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import io.cairn.proto.Peer.Ballot;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.Value;
import io.cairn.proto.Peer.WalRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Fuzz target: the write-ahead log's segment reader ({@link Wal#parse}), on what the log's own
 * framing ({@link Wal#frame}) writes, followed by the zeros a segment is grown with.
 *
 * <p>Checked: cut at any byte (a crash), the last segment reads back exactly the records that were
 * whole, flags a torn tail exactly when the cut fell inside a record, and never throws; a segment
 * that is not the last, cut inside a record, is refused with {@link WalCorruptException}. With one
 * byte changed anywhere, or with arbitrary bytes, the reader gives back only records that were
 * written, in order (never a damaged one), or refuses with {@link WalCorruptException}.
 */
public class WalReaderFuzzTest {
    private static final Path NAME = Path.of("wal-fuzz.log");

    @FuzzTest
    void segments(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        int mode = data.consumeInt(0, 2);
        if (mode == 2) {
            try {
                Wal.parse(data.consumeRemainingAsBytes(), NAME, true, new ArrayList<>());
            } catch (WalCorruptException expected) {
                // refused, with the offset named
            }
            return;
        }
        List<WalRecord> written = new ArrayList<>();
        List<Integer> ends = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        CRC32C crc = new CRC32C();
        int n = data.consumeInt(0, 8);
        try {
            for (int i = 0; i < n; i++) {
                WalRecord r = record(data);
                if (buf.remaining() < r.getSerializedSize() + Wal.HEADER) {
                    break;
                }
                Wal.frame(r, buf, crc);
                written.add(r);
                ends.add(buf.position());
            }
        } catch (IOException e) {
            throw new AssertionError("framing failed", e);
        }
        int recordsEnd = buf.position();
        int padding = data.consumeInt(0, 64);
        byte[] segment = new byte[recordsEnd + padding];
        System.arraycopy(buf.array(), 0, segment, 0, recordsEnd);
        if (mode == 0) {
            int cut = data.consumeInt(0, segment.length);
            byte[] torn = java.util.Arrays.copyOf(segment, cut);
            int whole = 0;
            while (whole < ends.size() && ends.get(whole) <= cut) {
                whole++;
            }
            int wholeEnd = whole == 0 ? 0 : ends.get(whole - 1);
            // Inside a record, and not only zeros so far (the start of a length can be zeros,
            // which reads as the end of the records: nothing to cut, and nothing lost).
            boolean inside = cut < recordsEnd && cut > wholeEnd && !zeros(torn, wholeEnd);
            List<WalRecord> got = new ArrayList<>();
            Wal.End end;
            try {
                end = Wal.parse(torn, NAME, true, got);
            } catch (WalCorruptException e) {
                throw new AssertionError("a crash's cut at " + cut + " was refused as corruption: " + e.getMessage());
            }
            if (!got.equals(written.subList(0, whole))) {
                throw new AssertionError("cut at " + cut + ": read " + got.size() + " records, " + whole + " were whole");
            }
            if (end.torn() != inside) {
                throw new AssertionError("cut at " + cut + ": torn=" + end.torn() + " but the cut was " + (inside ? "" : "not ")
                        + "inside a record");
            }
            if (inside) {
                try {
                    Wal.parse(torn, NAME, false, new ArrayList<>());
                    throw new AssertionError("a segment that is not the last, cut inside a record, was accepted");
                } catch (WalCorruptException expected) {
                    // a segment before the last was synced whole; damage there is corruption
                }
            }
        } else {
            if (segment.length > 0) {
                int at = data.consumeInt(0, segment.length - 1);
                segment[at] ^= (byte) data.consumeInt(1, 255);
            }
            boolean last = data.consumeBoolean();
            List<WalRecord> got = new ArrayList<>();
            try {
                Wal.parse(segment, NAME, last, got);
            } catch (WalCorruptException refused) {
                return;
            }
            if (got.size() > written.size() || !got.equals(written.subList(0, got.size()))) {
                throw new AssertionError("a damaged segment read back records that were never written: " + got);
            }
        }
    }

    private static boolean zeros(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static WalRecord record(FuzzedDataProvider data) {
        switch (data.consumeInt(0, 2)) {
            case 0:
                return WalRecord.newBuilder().setPromised(Ballot.newBuilder().setRound(data.consumeLong()).setNode(data.consumeLong())).build();
            case 1:
                return WalRecord.newBuilder().setCommit(data.consumeLong()).build();
            default:
                return WalRecord.newBuilder().setAccepted(SlotEntry.newBuilder().setSlot(data.consumeLong())
                        .setBallot(Ballot.newBuilder().setRound(data.consumeInt()).setNode(data.consumeInt()))
                        .setValue(Value.newBuilder().addProposals(io.cairn.proto.Peer.Proposal.newBuilder().setId(data.consumeLong()))
                                .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                                        .addField(99, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                                                .addLengthDelimited(ByteString.copyFrom(data.consumeBytes(data.consumeInt(0, 200)))).build())
                                        .build())))
                        .build();
        }
    }
}
