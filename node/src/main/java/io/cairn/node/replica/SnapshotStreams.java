package io.cairn.node.replica;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.cairn.proto.Peer.InstallSnapshot;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.SnapshotAck;
import io.cairn.proto.Peer.SnapshotFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots sent to members behind in pieces, and gathered from pieces. A snapshot went as one
 * message, encoded on the leader's loop: at a million 1 KiB values (1.1 GB) the encoding ran a
 * 3 GiB heap out, held the loop long enough for the others to elect a new leader, and would have
 * exceeded the 512 MiB a peer frame may be; and the member behind, asking every heartbeat until
 * it had one, was sent a new one for each ask (the benchmark's data-set curve). Now the leader
 * sends the snapshot it saved last, its file's bytes as they are, {@link #PIECE} bytes a
 * message, {@link #WINDOW} unacknowledged at most; one stream per member, and an ask while
 * that member's stream moves changes nothing. The receiver gathers the pieces in order and
 * hands its core the whole, with the configuration the snapshot records.
 *
 * <p>Runs on the replica's loop; no clock of its own (the caller says what time it is).
 */
final class SnapshotStreams {
    private static final Logger log = LoggerFactory.getLogger(SnapshotStreams.class);
    static final int PIECE = 4 << 20;
    static final int WINDOW = 4;
    /**
     * How fast a member is counted on to allocate the array it gathers a snapshot into, on top of
     * the stall limit while a stream waits for its first piece's acknowledgement: the receiver
     * allocates that array (as large as the snapshot) when the first piece comes, on its loop, and
     * at a million keys (1.4 GB) that took 0.5 s in a quiet JVM and 3.8 s in a new member busy
     * catching up, longer than the stall limit: the leader gave up twice and started over, the
     * receiver dropped what it had, and the catch-up lost 5.5 s (the benchmark's data-set curve).
     * 200 MB/s: 7 s more at 1.4 GB, nothing to speak of for the small snapshots of a simulation.
     */
    static final long ALLOCATION_BYTES_PER_MS = 200_000;

    /** Where pieces and acknowledgements go (the replica puts them into peer messages). */
    interface Send {
        void piece(long to, InstallSnapshot piece);

        void ack(long to, SnapshotAck ack);
    }

    private static final class Outgoing {
        final long slot;
        final ByteBuffer bytes;
        long sent;
        long acked;
        long progressMs;

        Outgoing(long slot, ByteBuffer bytes, long nowMs) {
            this.slot = slot;
            this.bytes = bytes;
            this.progressMs = nowMs;
        }
    }

    private static final class Incoming {
        final long from;
        final long slot;
        final byte[] bytes;
        int received;
        long progressMs;

        Incoming(long from, long slot, int total, long nowMs) {
            this.from = from;
            this.slot = slot;
            this.bytes = new byte[total];
            this.progressMs = nowMs;
        }
    }

    private final long self;
    private final long stalledMs;
    private final Send send;
    private final Map<Long, Outgoing> outgoing = new HashMap<>();
    private Incoming incoming;

    /**
     * @param stalledMs a stream with no acknowledgement for this long is given up, and the next
     *     ask starts it over: a piece lost on a link that dropped is never acknowledged. Two
     *     election timeouts: a piece takes a fraction of a second on any link a cluster runs
     *     on, and a member cut off for a while must not wait longer than an election to start
     *     catching up (the simulator's seeds that heal a partition near their end check it).
     *     More while the receiver is at its first piece ({@link #limitMs}).
     */
    SnapshotStreams(long self, long stalledMs, Send send) {
        this.self = self;
        this.stalledMs = stalledMs;
        this.send = send;
    }

    /** Whether a stream to {@code to} is under way and has moved within the stall limit. */
    boolean sending(long to, long nowMs) {
        Outgoing o = outgoing.get(to);
        return o != null && nowMs - o.progressMs < limitMs(o.bytes.remaining(), o.acked == 0);
    }

    /**
     * The stall limit of a stream of {@code total} bytes; at its first piece (the leader waits
     * for its acknowledgement, the receiver has gathered no more), also the time the receiver
     * may take to allocate its array ({@link #ALLOCATION_BYTES_PER_MS}).
     */
    long limitMs(long total, boolean atFirstPiece) {
        return atFirstPiece ? stalledMs + total / ALLOCATION_BYTES_PER_MS : stalledMs;
    }

    /** Sends {@code bytes}, an encoded {@link SnapshotFile} at {@code slot}, to {@code to}, from its start. */
    void start(long to, long slot, ByteBuffer bytes, long nowMs) {
        Outgoing o = new Outgoing(slot, bytes.asReadOnlyBuffer(), nowMs);
        outgoing.put(to, o);
        log.info("member {}: sending the snapshot at slot {} ({} bytes, in pieces of {}) to member {}", self, slot,
                o.bytes.remaining(), PIECE, to);
        fill(to, o);
    }

    /** Member {@code from} has {@code a.received} bytes of our snapshot at {@code a.slot}. */
    void acked(long from, SnapshotAck a, long nowMs) {
        Outgoing o = outgoing.get(from);
        if (o == null || o.slot != a.getSlot() || a.getReceived() <= o.acked) {
            return;
        }
        o.acked = Math.min(a.getReceived(), o.sent);
        o.progressMs = nowMs;
        if (o.acked == o.bytes.remaining()) {
            outgoing.remove(from);
            log.info("member {}: member {} has the snapshot at slot {}", self, from, o.slot);
            return;
        }
        fill(from, o);
    }

    /**
     * Lets go of streams stalled for the stall limit: what one holds (the mapped snapshot file a
     * stream sends, or the array a snapshot is gathered into, as large as the snapshot) stayed
     * held until the next stream, which may never come (a member that was removed, a leader that
     * died halfway). Called on every tick.
     */
    void expire(long nowMs) {
        var it = outgoing.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            Outgoing o = e.getValue();
            if (nowMs - o.progressMs >= limitMs(o.bytes.remaining(), o.acked == 0)) {
                it.remove();
                log.info("member {}: gave up sending the snapshot at slot {} to member {}: {} of {} bytes acknowledged, none for {} ms",
                        self, o.slot, e.getKey(), o.acked, o.bytes.remaining(), nowMs - o.progressMs);
            }
        }
        Incoming in = incoming;
        if (in != null && nowMs - in.progressMs >= limitMs(in.bytes.length, in.received <= PIECE)) {
            incoming = null;
            log.info("member {}: dropped the snapshot at slot {} gathered from member {}: {} of {} bytes, no piece for {} ms",
                    self, in.slot, in.from, in.received, in.bytes.length, nowMs - in.progressMs);
        }
    }

    /** Streams under way, to members behind and from the leader (for tests). */
    int streams() {
        return outgoing.size() + (incoming == null ? 0 : 1);
    }

    /** This member stopped leading: what it was sending is no longer its to send. */
    void stopSending() {
        outgoing.clear();
    }

    private void fill(long to, Outgoing o) {
        long total = o.bytes.remaining();
        while (o.sent < total && o.sent - o.acked < (long) WINDOW * PIECE) {
            int n = (int) Math.min(PIECE, total - o.sent);
            ByteBuffer slice = o.bytes.duplicate();
            slice.position(o.bytes.position() + (int) o.sent).limit(o.bytes.position() + (int) o.sent + n);
            send.piece(to, InstallSnapshot.newBuilder().setSlot(o.slot).setOffset(o.sent).setTotal(total)
                    .setData(UnsafeByteOperations.unsafeWrap(slice)).build());
            o.sent += n;
        }
    }

    /**
     * A piece from member {@code from}; the whole snapshot, with the configuration it records,
     * once its last piece is in, else null. Pieces out of order (a stream started over, one lost
     * on a link that dropped) are not taken; the acknowledgement says how far this member is.
     */
    InstallSnapshot gather(long from, InstallSnapshot piece, long nowMs) {
        long total = piece.getTotal();
        if (total <= 0 || total > Integer.MAX_VALUE - 8) {
            log.warn("member {}: member {} sent a piece of a snapshot of {} bytes; a snapshot is at most 2 GiB: ignored",
                    self, from, total);
            return null;
        }
        if (piece.getOffset() == 0 && (incoming == null || incoming.from != from || incoming.slot != piece.getSlot()
                || incoming.received > 0)) {
            // Let go of the array gathered so far before allocating the next: held during the
            // allocation, two snapshots' arrays (1.77 and 1.41 GB, from a new leader and the one
            // before it) ran a new member's 3 GiB heap out at a million keys.
            incoming = null;
            incoming = new Incoming(from, piece.getSlot(), (int) total, nowMs);
        }
        Incoming in = incoming;
        if (in == null || in.from != from || in.slot != piece.getSlot() || in.bytes.length != total) {
            return null;
        }
        ByteString data = piece.getData();
        if (piece.getOffset() == in.received && in.received + data.size() <= total) {
            data.copyTo(in.bytes, in.received);
            in.received += data.size();
            in.progressMs = nowMs;
        }
        send.ack(from, SnapshotAck.newBuilder().setSlot(in.slot).setReceived(in.received).build());
        if (in.received < total) {
            return null;
        }
        incoming = null;
        ByteString whole = UnsafeByteOperations.unsafeWrap(in.bytes);
        InstallSnapshot.Builder b = InstallSnapshot.newBuilder().setSlot(in.slot).setData(whole);
        try {
            for (Member m : membersOf(whole)) {
                if (m.getLearner()) {
                    b.addLearners(m.getId());
                } else {
                    b.addVoters(m.getId());
                }
            }
        } catch (IOException e) {
            log.warn("member {}: the snapshot at slot {} from member {} does not parse ({}): dropped", self, in.slot, from,
                    e.getMessage());
            return null;
        }
        return b.build();
    }

    /** The members a snapshot records, read past its tree without parsing it. */
    static java.util.List<Member> membersOf(ByteString snapshot) throws IOException {
        java.util.List<Member> members = new java.util.ArrayList<>();
        CodedInputStream in = snapshot.newCodedInput();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == SnapshotFile.MEMBERS_FIELD_NUMBER
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                members.add(Member.parseFrom(in.readBytes()));
            } else if (!in.skipField(tag)) {
                break;
            }
        }
        return members;
    }
}
