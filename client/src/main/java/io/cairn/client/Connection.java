package io.cairn.client;

import io.cairn.net.WriteTrace;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Response;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to one member, multiplexing tagged requests: each outstanding request holds a
 * tag until its last response, so many run at once. It hears its {@link Link} (attached once the
 * transport opened it) on the transport's loop.
 */
final class Connection implements Link.Receiver {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    /** What waits on a tag. */
    interface Call {
        /** Handles one response; returns true when it was the last for this tag. */
        boolean onResponse(Response r);

        /** The connection closed with this call outstanding. */
        void onLost();
    }

    private final InetSocketAddress endpoint;
    private volatile Link link;
    private final Map<Integer, Call> calls = new ConcurrentHashMap<>();
    private final AtomicInteger nextTag = new AtomicInteger();
    /** Why the link failed, when it said (a TLS alert from the member, say); null otherwise. */
    private volatile String failure;
    private volatile boolean notCairn;

    Connection(InetSocketAddress endpoint) {
        this.endpoint = endpoint;
    }

    void attach(Link link) {
        this.link = link;
    }

    InetSocketAddress endpoint() {
        return endpoint;
    }

    boolean isActive() {
        Link l = link;
        return l != null && l.isActive();
    }

    /** Sends a request under a fresh tag and returns the tag. */
    int send(Request.Builder req, Call call) {
        int tag;
        do {
            tag = nextTag.updateAndGet(t -> t == Integer.MAX_VALUE ? 1 : t + 1);
        } while (calls.putIfAbsent(tag, call) != null);
        link.send(req.setTag(tag).build());
        // A connection that closed before the call was registered will not fail it when it
        // closes (that already happened): fail it here. One that closes later fails it then.
        if (!isActive() && calls.remove(tag) != null) {
            call.onLost();
        }
        return tag;
    }

    /** Stops waiting on a tag (a timed-out request); a late answer is dropped. */
    void forget(int tag) {
        calls.remove(tag);
    }

    void close() {
        Link l = link;
        if (l != null) {
            l.close();
        }
    }

    @Override
    public void received(Response r) {
        WriteTrace.mark(WriteTrace.Stage.ANSWER_READ);
        if (!r.hasTag()) {
            log.warn("{} sent an untagged error: {} {}", endpoint, r.getErrCode(), r.getErrDetail());
            return;
        }
        Call c = calls.get(r.getTag());
        if (c != null && c.onResponse(r)) {
            calls.remove(r.getTag(), c);
        }
    }

    /** Why the connection failed, when known, or null. */
    String failure() {
        return failure;
    }

    /** The other end answered with something that is not a Cairn frame: it was never a member. */
    boolean notCairn() {
        return notCairn;
    }

    @Override
    public void lost(String why, boolean notCairn) {
        if (why != null) {
            log.debug("connection to {} failed: {}", endpoint, why);
            this.failure = why;
            this.notCairn = notCairn;
        }
        List<Integer> tags = List.copyOf(calls.keySet());
        for (Integer t : tags) {
            Call c = calls.remove(t);
            if (c != null) {
                c.onLost();
            }
        }
    }
}
