package io.cairn.client;

import com.google.protobuf.ByteString;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session: kept alive by this client (a keepalive every third of the TTL, through whichever
 * member the client is connected to, so a failover within the TTL keeps it), with ephemeral
 * files that disappear when it ends — closed here, or expired by the cluster when the
 * keepalives stop because this process died.
 */
public final class Session implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    private final CairnClient client;
    private final long id;
    private final Duration ttl;
    private final ScheduledFuture<?> keepalive;
    private volatile boolean ended;
    private volatile Consumer<CairnException> onExpired = e -> { };

    Session(CairnClient client, long id, Duration ttl) {
        this.client = client;
        this.id = id;
        this.ttl = ttl;
        long every = Math.max(50, ttl.toMillis() / 3);
        this.keepalive = client.loop().scheduleAtFixedRate(this::keepalive, every, every, TimeUnit.MILLISECONDS);
    }

    public long id() {
        return id;
    }

    public Duration ttl() {
        return ttl;
    }

    public boolean ended() {
        return ended;
    }

    /** Called once if the cluster ends the session (the keepalives did not arrive in time). */
    public void onExpired(Consumer<CairnException> listener) {
        this.onExpired = listener;
    }

    private void keepalive() {
        if (ended) {
            return;
        }
        client.call(Request.newBuilder().setVerb(Verb.SESSION_KEEPALIVE).setSession(id), true).whenComplete((r, e) -> {
            if (e == null) {
                return;
            }
            CairnException ce = CairnClient.unwrap(e);
            if (ce instanceof SessionExpiredException && !ended) {
                ended = true;
                keepalive.cancel(false);
                log.warn("session {} expired: {}", id, ce.getMessage());
                onExpired.accept(ce);
            }
            // Other failures (no member reachable for a moment) are retried by the next keepalive.
        });
    }

    /** Writes an ephemeral file bound to this session; gives the new revision. */
    public long set(String path, byte[] value, long expectedRev) {
        return CairnClient.await(client.call(Request.newBuilder().setVerb(Verb.SET).setPath(path)
                .setValue(ByteString.copyFrom(value)).setRev(expectedRev).setSession(id), false).thenApply(Response::getRev));
    }

    public long set(String path, String value, long expectedRev) {
        return set(path, value.getBytes(StandardCharsets.UTF_8), expectedRev);
    }

    /** Deletes one of this session's ephemeral files. */
    public long del(String path, long expectedRev) {
        return CairnClient.await(client.call(Request.newBuilder().setVerb(Verb.DEL).setPath(path)
                .setRev(expectedRev).setSession(id), false).thenApply(Response::getRev));
    }

    /** Ends the session now: its ephemeral files are deleted in one revision. */
    @Override
    public void close() {
        if (ended) {
            return;
        }
        ended = true;
        keepalive.cancel(false);
        try {
            CairnClient.await(client.call(Request.newBuilder().setVerb(Verb.SESSION_CLOSE).setSession(id), false));
        } catch (SessionExpiredException alreadyGone) {
            // it ended on its own
        }
    }
}
