package io.cairn.node.server;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.node.testing.FuzzReplica;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.Response.Err;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Fuzz target: what a client can send a member, one decoded frame at a time, into the real
 * {@link RequestHandler} in front of a real replica ({@link FuzzReplica}). A frame is a Request
 * with any fields at all, or bytes that are not one.
 *
 * <p>Checked for every input: nothing throws; every unary request is answered exactly once, and
 * that answer ends it (DONE); a frame that is not a Request is answered once, without a tag; no
 * answer carries a tag that was not asked; and a request that was refused changed nothing: the
 * revision grows by at most the number of requests that succeeded as writes.
 *
 * <p>Membership verbs are left out: adding a voter to this cluster of one would leave it without
 * a quorum, and every later input would only time out. WAIT and WATCH may run on; the connection
 * closing ends them, as it does on a real socket.
 */
public class RequestHandlerFuzzTest {
    private static final ServerLimits LIMITS = ServerLimits.forMaxValue(FuzzReplica.MAX_VALUE);

    @FuzzTest
    void requests(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        KvService kv = FuzzReplica.get();
        closeSessionsOpenedBefore(kv);
        FuzzReplica.keepSmall();
        long revBefore = FuzzReplica.rev();
        LinkedBlockingQueue<Response> answers = new LinkedBlockingQueue<>();
        RequestHandler handler = new RequestHandler(kv, LIMITS, new Responder() {
            @Override
            public void send(Response response) {
                answers.add(response);
            }

            @Override
            public long pendingBytes() {
                return 0;
            }
        });
        Map<Integer, Verb> unary = new HashMap<>();
        List<Integer> streams = new ArrayList<>();
        int malformed = 0;
        int count = data.consumeInt(1, 4);
        for (int i = 1; i <= count && data.remainingBytes() > 0; i++) {
            byte[] frame = data.consumeBytes(data.consumeInt(0, 600));
            Request req;
            try {
                req = Request.parseFrom(frame);
            } catch (InvalidProtocolBufferException e) {
                handler.malformed(e.getMessage());
                malformed++;
                continue;
            }
            if (req.getVerb() == Verb.MEMBER_ADD || req.getVerb() == Verb.MEMBER_PROMOTE || req.getVerb() == Verb.MEMBER_REMOVE) {
                continue;
            }
            // A tag of its own for each, so each answer can be told apart (TAG_IN_USE has its unit test).
            req = req.toBuilder().setTag(i).build();
            if (req.getVerb() == Verb.WAIT || req.getVerb() == Verb.WATCH) {
                streams.add(i);
            } else {
                unary.put(i, req.getVerb());
            }
            handler.handle(req);
        }
        Map<Integer, Integer> done = new HashMap<>();
        int untagged = 0;
        int writesOk = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (done.size() < unary.size() || untagged < malformed) {
            Response r;
            try {
                r = answers.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (r == null) {
                throw new AssertionError("unanswered after 20 s: asked " + unary + ", done " + done.keySet()
                        + ", malformed " + malformed + " answered " + untagged);
            }
            untagged += account(r, unary, streams, done);
            if (!r.hasErrCode() && r.hasTag() && isWrite(unary.get(r.getTag()))) {
                writesOk++;
            }
        }
        handler.closed();
        for (Response late; (late = answers.poll()) != null; ) {
            untagged += account(late, unary, streams, done);
        }
        if (untagged != malformed) {
            throw new AssertionError(untagged + " untagged answers for " + malformed + " malformed frames");
        }
        long revAfter = FuzzReplica.rev();
        if (revAfter - revBefore > writesOk) {
            throw new AssertionError("the revision went from " + revBefore + " to " + revAfter + " but only " + writesOk
                    + " requests succeeded as writes: a refused request changed the tree (" + unary + ")");
        }
    }

    /** Checks one answer; returns 1 when it is an untagged one (a malformed frame's). */
    private static int account(Response r, Map<Integer, Verb> unary, List<Integer> streams, Map<Integer, Integer> done) {
        if (!r.hasTag()) {
            if (!r.hasErrCode() || r.getErrCode() != Err.INVALID) {
                throw new AssertionError("an untagged answer that is not INVALID: " + r);
            }
            return 1;
        }
        int tag = r.getTag();
        if (!unary.containsKey(tag) && !streams.contains(tag)) {
            throw new AssertionError("an answer for tag " + tag + " that nobody asked: " + r);
        }
        if (unary.containsKey(tag)) {
            if (unary.get(tag) == Verb.SNAPSHOT && (r.getFlags() & Responses.DONE) == 0) {
                // A backup comes as chunks (VALID, a value each) before its DONE.
                if (r.hasErrCode() || (r.getFlags() & Responses.VALID) == 0 || r.getValue().isEmpty()) {
                    throw new AssertionError("a SNAPSHOT chunk that is not one: " + r);
                }
                return 0;
            }
            if ((r.getFlags() & Responses.DONE) == 0) {
                throw new AssertionError("a " + unary.get(tag) + " answer without DONE: " + r);
            }
            if (done.merge(tag, 1, Integer::sum) > 1) {
                throw new AssertionError(unary.get(tag) + " (tag " + tag + ") answered twice: " + r);
            }
            if (r.hasErrCode() && r.getErrCode() == Err.OTHER) {
                throw new AssertionError(unary.get(tag) + " failed inside the member: " + r.getErrDetail());
            }
            if (r.hasSession() && !r.hasErrCode() && unary.get(tag) == Verb.SESSION_OPEN) {
                OPENED.add(r.getSession());
            }
        }
        return 0;
    }

    private static boolean isWrite(Verb v) {
        return v == Verb.SET || v == Verb.DEL || v == Verb.TXN || v == Verb.SESSION_CLOSE || v == Verb.SESSION_OPEN;
    }

    /** Sessions an input opened, closed before the next one so that no expiry writes behind its back. */
    private static final java.util.Queue<Long> OPENED = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private static void closeSessionsOpenedBefore(KvService kv) {
        for (Long s; (s = OPENED.poll()) != null; ) {
            kv.closeSession(s).exceptionally(e -> null).join();
        }
    }
}
