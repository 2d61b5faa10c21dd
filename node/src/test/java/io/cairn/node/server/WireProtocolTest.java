package io.cairn.node.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestNode;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.Response.Err;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client protocol as bytes on a socket: Doozer's verbs and flags, Cairn's additions, every error. */
class WireProtocolTest {
    static final int VALID = 1;
    static final int DONE = 2;
    static final int SET = 4;
    static final int DEL = 8;
    static final int MAX_VALUE = 4096;
    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start(new StoreConfig(50, MAX_VALUE));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static Request.Builder req(int tag, Verb verb) {
        return Request.newBuilder().setTag(tag).setVerb(verb);
    }

    static Request set(int tag, String path, String value, long rev) {
        return req(tag, Verb.SET).setPath(path).setValue(ByteString.copyFromUtf8(value)).setRev(rev).build();
    }

    private WireClient wire() {
        return new WireClient(node.clientAddress());
    }

    @Test
    void doozerStyleSession() {
        try (WireClient c = wire()) {
            Response s = c.call(set(1, "/doozer/a", "1", 0));
            assertThat(s.hasErrCode()).isFalse();
            assertThat(s.getTag()).isEqualTo(1);
            assertThat(s.getFlags()).isEqualTo(VALID | DONE);
            long rev = s.getRev();
            c.call(set(2, "/doozer/b", "2", 0));

            Response g = c.call(req(3, Verb.GET).setPath("/doozer/a").build());
            assertThat(g.getValue().toStringUtf8()).isEqualTo("1");
            assertThat(g.getRev()).isEqualTo(rev);
            assertThat(c.call(req(4, Verb.GET).setPath("/doozer/none").build()).getRev()).isZero();
            assertThat(c.call(req(5, Verb.GET).setPath("/doozer").build()).getRev()).isEqualTo(-2);

            // Doozer iterates GETDIR and WALK one entry per request, by offset, until RANGE.
            List<String> names = new ArrayList<>();
            for (int i = 0; ; i++) {
                Response d = c.call(req(6, Verb.GETDIR).setPath("/doozer").setOffset(i).build());
                if (d.hasErrCode()) {
                    assertThat(d.getErrCode()).isEqualTo(Err.RANGE);
                    break;
                }
                names.add(d.getPath());
            }
            assertThat(names).containsExactly("a", "b");
            Response w = c.call(req(7, Verb.WALK).setPath("/doozer/*").setOffset(1).build());
            assertThat(w.getPath()).isEqualTo("/doozer/b");
            assertThat(w.getValue().toStringUtf8()).isEqualTo("2");

            Response st = c.call(req(8, Verb.STAT).setPath("/doozer").build());
            assertThat(st.getRev()).isEqualTo(-2);
            assertThat(st.getLen()).isEqualTo(2);
            Response r = c.call(req(9, Verb.REV).build());
            assertThat(r.getRev()).isGreaterThanOrEqualTo(rev + 1);
            assertThat(c.call(req(10, Verb.NOP).build()).getFlags()).isEqualTo(VALID | DONE);
            assertThat(c.call(req(11, Verb.SELF).build()).getValue().toStringUtf8()).isEqualTo("1");

            Response del = c.call(req(12, Verb.DEL).setPath("/doozer/a").setRev(rev).build());
            assertThat(del.hasErrCode()).isFalse();
        }
    }

    @Test
    void pagedListingsAndTxn() {
        try (WireClient c = wire()) {
            for (int i = 0; i < 5; i++) {
                c.call(set(1, "/paged/f" + i, "v" + i, -1));
            }
            Response p1 = c.call(req(2, Verb.GETDIR).setPath("/paged").setLimit(3).build());
            assertThat(p1.getNamesList()).containsExactly("f0", "f1", "f2");
            assertThat(p1.getMore()).isTrue();
            Response p2 = c.call(req(3, Verb.GETDIR).setPath("/paged").setOffset(3).setLimit(3).setRev(p1.getRev()).build());
            assertThat(p2.getNamesList()).containsExactly("f3", "f4");
            assertThat(p2.getMore()).isFalse();
            Response w = c.call(req(4, Verb.WALK).setPath("/paged/*").setLimit(10).build());
            assertThat(w.getEntriesCount()).isEqualTo(5);

            io.cairn.proto.Msg.Txn txn = io.cairn.proto.Msg.Txn.newBuilder()
                    .addCompare(io.cairn.proto.Msg.Compare.newBuilder().setPath("/paged/f0")
                            .setTarget(io.cairn.proto.Msg.Compare.Target.EXISTS).setExists(true))
                    .addSuccess(io.cairn.proto.Msg.Op.newBuilder().setKind(io.cairn.proto.Msg.Op.Kind.DEL).setPath("/paged/f0"))
                    .addSuccess(io.cairn.proto.Msg.Op.newBuilder().setKind(io.cairn.proto.Msg.Op.Kind.DEL).setPath("/paged/f1"))
                    .build();
            Response t = c.call(req(5, Verb.TXN).setTxn(txn).build());
            assertThat(t.getTxn().getSucceeded()).isTrue();
            assertThat(t.getTxn().getResultsList()).allMatch(r -> r.getRev() == t.getRev());
            assertThat(c.call(req(6, Verb.TXN).setTxn(txn).build()).getTxn().getSucceeded()).isFalse();
        }
    }

    @Test
    void manyTaggedRequestsInFlightAndCancel() {
        try (WireClient c = wire()) {
            long rev = c.call(req(1, Verb.REV).build()).getRev();
            c.send(req(10, Verb.WAIT).setPath("/inflight/**").setRev(rev + 1).build());
            c.send(req(11, Verb.WATCH).setPath("/inflight/**").setRev(rev + 1).build());
            c.send(set(12, "/inflight/x", "1", -1));
            Map<Integer, List<Response>> byTag = new HashMap<>();
            // SET answer, WAIT answer (done), one WATCH event.
            for (int i = 0; i < 3; i++) {
                Response r = c.read();
                byTag.computeIfAbsent(r.getTag(), k -> new ArrayList<>()).add(r);
            }
            assertThat(byTag.get(12).get(0).hasErrCode()).isFalse();
            assertThat(byTag.get(10).get(0).getFlags()).isEqualTo(VALID | DONE | SET);
            assertThat(byTag.get(10).get(0).getPath()).isEqualTo("/inflight/x");
            assertThat(byTag.get(11).get(0).getFlags()).isEqualTo(VALID | SET);

            // A second request on a busy tag is refused, and the watch runs on.
            Response busy = c.call(req(11, Verb.GET).setPath("/x").build());
            assertThat(busy.getErrCode()).isEqualTo(Err.TAG_IN_USE);

            c.send(req(13, Verb.CANCEL).setOtherTag(11).build());
            Map<Integer, Response> last = new HashMap<>();
            for (int i = 0; i < 2; i++) {
                Response r = c.read();
                last.put(r.getTag(), r);
            }
            assertThat(last.get(11).getFlags() & (VALID | DONE)).isEqualTo(DONE);
            assertThat(last.get(13).getFlags()).isEqualTo(VALID | DONE);
            // The tag is free again.
            assertThat(c.call(req(11, Verb.NOP).build()).hasErrCode()).isFalse();
        }
    }

    @Test
    void everyErrorCodeReachableOnOneNode() {
        try (WireClient c = wire()) {
            long r1 = c.call(set(1, "/err/file", "v", -1)).getRev();
            Response mismatch = c.call(set(2, "/err/file", "w", r1 + 100));
            assertThat(mismatch.getErrCode()).isEqualTo(Err.REV_MISMATCH);
            assertThat(mismatch.getCurrentRev()).isEqualTo(r1);
            assertThat(mismatch.getErrDetail()).contains("is at rev " + r1);

            assertThat(c.call(set(3, "no/slash", "v", -1)).getErrCode()).isEqualTo(Err.BAD_PATH);
            assertThat(c.call(req(4, Verb.WALK).setPath("/a[").build()).getErrCode()).isEqualTo(Err.BAD_PATH);
            assertThat(c.call(req(5, Verb.DEL).setPath("/err/nothing").setRev(-1).build()).getErrCode()).isEqualTo(Err.NOENT);
            assertThat(c.call(req(6, Verb.GETDIR).setPath("/err/nothing").build()).getErrCode()).isEqualTo(Err.NOENT);
            assertThat(c.call(set(7, "/err", "v", -1)).getErrCode()).isEqualTo(Err.ISDIR);
            assertThat(c.call(set(8, "/err/file/under", "v", -1)).getErrCode()).isEqualTo(Err.NOTDIR);
            assertThat(c.call(req(9, Verb.GETDIR).setPath("/err/file").build()).getErrCode()).isEqualTo(Err.NOTDIR);
            assertThat(c.call(set(10, "/err/big", "x".repeat(MAX_VALUE + 1), -1)).getErrCode()).isEqualTo(Err.TOO_LARGE);
            assertThat(c.call(set(11, "/ctl/members/9", "x", -1)).getErrCode()).isEqualTo(Err.READONLY);
            assertThat(c.call(req(12, Verb.GET).setPath("/err/file").setRev(1_000_000).build()).getErrCode()).isEqualTo(Err.RANGE);
            assertThat(c.call(req(13, Verb.GETDIR).setPath("/err").setOffset(5).build()).getErrCode()).isEqualTo(Err.RANGE);
            assertThat(c.call(req(14, Verb.GETDIR).setPath("/err").setLimit(0).build()).getErrCode()).isEqualTo(Err.RANGE);
            assertThat(c.call(req(15, Verb.SET).setPath("/err/x").build()).getErrCode()).isEqualTo(Err.MISSING_ARG);
            assertThat(c.call(req(16, Verb.GET).build()).getErrCode()).isEqualTo(Err.MISSING_ARG);
            assertThat(c.call(req(17, Verb.CANCEL).setOtherTag(999).build()).getErrCode()).isEqualTo(Err.INVALID);
            assertThat(c.call(req(18, Verb.TXN).build()).getErrCode()).isEqualTo(Err.MISSING_ARG);
            // Fill the 50-revision history window, then ask for what fell out of it.
            for (int i = 0; i < 60; i++) {
                c.call(set(19, "/err/churn", "v" + i, -1));
            }
            assertThat(c.call(req(20, Verb.GET).setPath("/err/file").setRev(r1).build()).getErrCode()).isEqualTo(Err.TOO_LATE);
            Response late = c.call(req(21, Verb.WATCH).setPath("/**").setRev(r1).build());
            assertThat(late.getErrCode()).isEqualTo(Err.TOO_LATE);
            assertThat(late.getErrDetail()).contains("compacted");
            assertThat(late.getFlags() & DONE).isEqualTo(DONE);
            // Every refusal carried a readable detail and left the connection usable.
            assertThat(c.call(req(22, Verb.NOP).build()).hasErrCode()).isFalse();
        }
    }

    @Test
    void unknownVerbAndMissingTag() throws IOException {
        try (WireClient c = wire()) {
            // tag=5, verb=77: a verb this server has never heard of.
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            CodedOutputStream o = CodedOutputStream.newInstance(b);
            o.writeInt32(1, 5);
            o.writeEnum(2, 77);
            o.flush();
            c.sendFrame(b.toByteArray());
            Response r = c.read();
            assertThat(r.getTag()).isEqualTo(5);
            assertThat(r.getErrCode()).isEqualTo(Err.UNKNOWN_VERB);
            assertThat(r.getErrDetail()).contains("77");
            Response noTag = c.call(Request.newBuilder().setVerb(Verb.NOP).build());
            assertThat(noTag.getErrCode()).isEqualTo(Err.MISSING_ARG);
            assertThat(c.call(req(6, Verb.NOP).build()).hasErrCode()).isFalse();
        }
    }

    @Test
    void garbageProtobufIsAnsweredAndTheConnectionStays() {
        try (WireClient c = wire()) {
            c.sendFrame(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02});
            Response r = c.read();
            assertThat(r.hasTag()).isFalse();
            assertThat(r.getErrCode()).isEqualTo(Err.INVALID);
            assertThat(r.getErrDetail()).startsWith("malformed request");
            assertThat(c.call(req(1, Verb.NOP).build()).hasErrCode()).isFalse();
        }
    }

    @Test
    void oversizedFrameIsAnsweredUnderItsTagAndTheConnectionStays() {
        try (WireClient c = wire()) {
            byte[] frame = set(7, "/oversized/x", "z".repeat(300_000), -1).toByteArray();
            // Send the length and the head first: the answer comes before the rest is sent.
            c.sendRaw(ByteBuffer.allocate(4 + 64).putInt(frame.length).put(frame, 0, 64).array());
            Response r = c.read();
            assertThat(r.getTag()).isEqualTo(7);
            assertThat(r.getErrCode()).isEqualTo(Err.TOO_LARGE);
            assertThat(r.getErrDetail()).contains("exceeds the frame limit").contains("nothing was applied");
            c.sendRaw(java.util.Arrays.copyOfRange(frame, 64, frame.length));
            assertThat(c.call(req(8, Verb.GET).setPath("/oversized/x").build()).getRev()).isZero();
            assertThat(c.call(req(9, Verb.NOP).build()).hasErrCode()).isFalse();
        }
    }

    @Test
    void implausibleLengthGetsAnErrorThenAClose() {
        try (WireClient bad = wire(); WireClient good = wire()) {
            bad.sendRaw(new byte[] {(byte) 0x80, 0, 0, 1});
            Response r = bad.read();
            assertThat(r.getErrCode()).isEqualTo(Err.INVALID);
            assertThat(r.getErrDetail()).contains("not plausible");
            assertThat(bad.closedByServer()).isTrue();
            assertThat(good.call(req(1, Verb.NOP).build()).hasErrCode()).isFalse();
        }
    }

    @Test
    void httpOnTheClientPortIsRefusedAndClosed() {
        try (WireClient bad = wire()) {
            bad.sendRaw("GET /v1/kv/x HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            Response r = bad.read();
            assertThat(r.getErrCode()).isEqualTo(Err.INVALID);
            assertThat(bad.closedByServer()).isTrue();
        }
    }

    @Test
    void truncatedFrameHurtsNobodyElse() {
        try (WireClient good = wire()) {
            WireClient bad = wire();
            byte[] frame = set(1, "/trunc/x", "never", -1).toByteArray();
            ByteBuffer partial = ByteBuffer.allocate(4 + frame.length / 2).putInt(frame.length).put(frame, 0, frame.length / 2);
            bad.sendRaw(partial.array());
            bad.close();
            Response r = good.call(req(2, Verb.GET).setPath("/trunc/x").build());
            assertThat(r.getRev()).as("the half-sent SET was never applied").isZero();
        }
    }

    @Test
    void hugeValueWithinTheFrameLimitIsRefusedAndNothingIsLost() {
        try (WireClient c = wire()) {
            long rev = c.call(set(1, "/huge/keep", "safe", -1)).getRev();
            Response r = c.call(set(2, "/huge/keep", "y".repeat(MAX_VALUE * 4), -1));
            assertThat(r.getErrCode()).isEqualTo(Err.TOO_LARGE);
            Response g = c.call(req(3, Verb.GET).setPath("/huge/keep").build());
            assertThat(g.getValue().toStringUtf8()).isEqualTo("safe");
            assertThat(g.getRev()).isEqualTo(rev);
        }
    }
}
