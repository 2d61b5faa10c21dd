package io.cairn.node.transport;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.cairn.node.paxos.PaxosConfig;
import io.cairn.node.paxos.PaxosCore;
import io.cairn.node.paxos.Ready;
import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.SlotEntry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.Random;
import java.util.Set;

/**
 * Fuzz target: a peer connection's bytes through the member's own decoders
 * ({@link PeerTransport#inboundDecoders}) into a consensus core of three voters, as its driver
 * steps them, with ticks in between.
 *
 * <p>Peers are trusted to follow the protocol (it is not Byzantine-tolerant, and peers
 * authenticate each other), so a lying peer may well change what is chosen; what no input may
 * do is break the core itself. Checked: a broken stream fails only as a decoder error (the
 * member closes that connection); stepping any decoded message or ticking never throws; and the
 * core hands its driver committed entries in slot order without gaps, as the log is applied, and
 * never a snapshot behind what it already handed over.
 */
public class PeerMessageFuzzTest {
    @FuzzTest
    void messages(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        PaxosCore core = new PaxosCore(PaxosConfig.of(1, Set.of(1L, 2L, 3L)), new Random(data.consumeLong()));
        EmbeddedChannel ch = new EmbeddedChannel(PeerTransport.inboundDecoders());
        long[] lastCommitted = {0};
        try {
            while (data.remainingBytes() > 0) {
                int what = data.consumeInt(0, 3);
                if (what == 0) {
                    check(core.tick(), lastCommitted);
                    continue;
                }
                if (what == 1) {
                    byte[] body = data.consumeBytes(data.consumeInt(0, 300));
                    byte[] framed = new byte[4 + body.length];
                    framed[0] = (byte) (body.length >>> 24);
                    framed[1] = (byte) (body.length >>> 16);
                    framed[2] = (byte) (body.length >>> 8);
                    framed[3] = (byte) body.length;
                    System.arraycopy(body, 0, framed, 4, body.length);
                    if (!feed(ch, framed)) {
                        return;
                    }
                } else if (!feed(ch, data.consumeBytes(data.consumeInt(1, 64)))) {
                    return;
                }
                for (Object o; (o = ch.readInbound()) != null; ) {
                    PeerMessage m = (PeerMessage) o;
                    // Mostly addressed to this core, as a connection to it would carry.
                    if (what == 1 && data.consumeBoolean()) {
                        m = m.toBuilder().setTo(1).build();
                    }
                    check(core.step(m), lastCommitted);
                }
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** False when the stream broke: the member would close this connection. */
    private static boolean feed(EmbeddedChannel ch, byte[] bytes) {
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(bytes));
            return true;
        } catch (DecoderException e) {
            return false;
        }
    }

    private static void check(Ready r, long[] lastCommitted) {
        if (r.install != null) {
            // The state machine is replaced by the snapshot's; entries go on from its slot.
            if (r.install.slot() < lastCommitted[0]) {
                throw new AssertionError("installs a snapshot at slot " + r.install.slot() + " behind the applied slot "
                        + lastCommitted[0]);
            }
            lastCommitted[0] = r.install.slot();
        }
        for (SlotEntry e : r.committed) {
            if (e.getSlot() != lastCommitted[0] + 1) {
                throw new AssertionError("committed slot " + e.getSlot() + " after slot " + lastCommitted[0]);
            }
            lastCommitted[0] = e.getSlot();
        }
    }
}
