package io.cairn.node.server;

import com.google.protobuf.ByteString;
import io.cairn.node.store.Event;
import io.cairn.node.store.StoreException;
import io.cairn.proto.Msg.Flag;
import io.cairn.proto.Msg.Response;

/** Builders for the responses every verb shares. */
public final class Responses {
    public static final int VALID = Flag.VALID_VALUE;
    public static final int DONE = Flag.DONE_VALUE;
    public static final int SET = Flag.SET_VALUE;
    public static final int DEL = Flag.DEL_VALUE;

    private Responses() {}

    public static Response.Builder ok(int tag) {
        return Response.newBuilder().setTag(tag).setFlags(VALID | DONE);
    }

    public static Response error(Integer tag, Response.Err code, String detail) {
        Response.Builder b = Response.newBuilder().setFlags(DONE).setErrCode(code).setErrDetail(detail);
        if (tag != null) {
            b.setTag(tag);
        }
        return b.build();
    }

    public static Response error(int tag, StoreException e) {
        Response.Builder b = Response.newBuilder().setTag(tag).setFlags(DONE)
                .setErrCode(wire(e.code())).setErrDetail(e.getMessage());
        if (e.hasCurrentRev()) {
            b.setCurrentRev(e.currentRev());
        }
        return b.build();
    }

    /** A refusal's code as the client protocol has it: the same name. */
    public static Response.Err wire(io.cairn.node.store.Err code) {
        return Response.Err.valueOf(code.name());
    }

    /** One change, as WAIT and WATCH report it (Doozer's flags: valid, and set or del). */
    public static Response.Builder event(int tag, Event e) {
        Built last = lastBuilt;
        if (last == null || last.event() != e) {
            last = new Built(e, build(e));
            lastBuilt = last;
        }
        return last.response().toBuilder().setTag(tag);
    }

    /**
     * The last event built, kept whole: a revision goes to every watcher of it in turn (a
     * sidecar per pod is a watch per connection), and each needs the same event under its own
     * tag, so its value is copied and its path encoded once, not once per watcher. Shared by
     * every loop in the process; a race only builds it again.
     */
    private static volatile Built lastBuilt;

    private record Built(Event event, Response response) {}

    private static Response build(Event e) {
        Response.Builder b = Response.newBuilder().setRev(e.rev()).setPathBytes(ByteString.copyFromUtf8(e.path()))
                .setFlags(VALID | (e.deleted() ? DEL : SET));
        if (!e.deleted()) {
            b.setValue(ByteString.copyFrom(e.value()));
        }
        if (e.author() != null) {
            b.setAuthorBytes(ByteString.copyFromUtf8(e.author()));
        }
        if (e.timeMs() != 0) {
            b.setTimeMs(e.timeMs());
        }
        return b.build();
    }
}
