package io.cairn.node.server;

import com.google.protobuf.ByteString;
import io.cairn.net.Causes;
import io.cairn.node.acl.Grants;
import io.cairn.node.acl.Identity;
import io.cairn.node.acl.Right;
import io.cairn.node.auth.Authenticator;
import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.Err;
import io.cairn.node.store.Event;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Glob;
import io.cairn.node.store.OpResult;
import io.cairn.node.store.Page;
import io.cairn.node.store.Stat;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Msg.Change;
import io.cairn.proto.Msg.Entry;
import io.cairn.proto.Msg.Version;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.TxnResult;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the requests of one client connection. Requests are tagged and run concurrently; a
 * tag is busy from its request until its last response (DONE). Nothing a client sends makes this
 * throw: every refusal is an error response naming the problem.
 */
public final class RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);

    private final KvService kv;
    private final ServerLimits limits;
    private final Responder out;
    /** Busy tags; the value is the running watch for WAIT and WATCH, a marker otherwise. */
    private final Map<Integer, Object> busy = new ConcurrentHashMap<>();
    private final AtomicInteger watches = new AtomicInteger();
    /** A running request that answers once: its verb and when it arrived, for the latency histogram. */
    private record Unary(Verb verb, long arrived) {}
    private volatile boolean closed;
    private final Authenticator auth;
    private final Access access;
    /** What the connection's TLS peer showed; read once, at its first request (after the handshake). */
    private final java.util.function.Supplier<java.security.cert.Certificate[]> peerCertificates;
    /** Who this connection acts as: its certificate's identity, then whatever ACCESS proved. */
    private volatile Identity identity;

    public RequestHandler(KvService kv, ServerLimits limits, Responder out) {
        this(kv, limits, out, Authenticator.off(), () -> null);
    }

    public RequestHandler(KvService kv, ServerLimits limits, Responder out, Authenticator auth,
            java.util.function.Supplier<java.security.cert.Certificate[]> peerCertificates) {
        this.kv = kv;
        this.limits = limits;
        this.out = out;
        this.auth = auth;
        this.access = new Access(auth);
        this.peerCertificates = peerCertificates;
    }

    /** Who the connection acts as; an identity whose credential expired falls back to anonymous. */
    private Identity identity() {
        Identity who = identity;
        if (who == null) {
            who = auth.fromCertificates(peerCertificates.get());
            identity = who;
        }
        if (who.expiresAtMs() > 0 && System.currentTimeMillis() >= who.expiresAtMs()) {
            identity = Identity.ANONYMOUS;
            throw new StoreException(Err.PERMISSION_DENIED, "the credential of " + who.name() + " expired at "
                    + java.time.Instant.ofEpochMilli(who.expiresAtMs()) + "; send ACCESS with a fresh token");
        }
        return who;
    }

    /**
     * What the caller may do under the policy this member last applied, or null when it does not
     * enforce the policy: for a watch's gate, SESSIONS and membership changes. Reads are judged
     * inside the read ({@link Access}), writes where they land in the log.
     */
    private Grants grants() {
        Identity who = identity();
        return auth.enforcing() ? kv.policy().grantsFor(who) : null;
    }

    private void check(String path, Right right) {
        Grants g = grants();
        if (g != null) {
            g.check(path, right);
        }
    }

    private void checkIn(VersionedTree t, String path, Right right) {
        access.check(t, identity(), path, right);
    }

    private Grants reachIn(VersionedTree t, String prefix, Right right) {
        return access.reach(t, identity(), prefix, right);
    }

    /** A frame that did not parse as a Request: answered without a tag, the connection stays. */
    public void malformed(String detail) {
        out.send(Responses.error(null, Response.Err.INVALID, "malformed request: " + detail));
    }

    /**
     * A request whose frame was over the limit, answered under its tag (null when it had none);
     * its bytes are skipped and the connection stays.
     */
    public void oversized(Integer tag, long frameBytes) {
        out.send(Responses.error(tag, Response.Err.TOO_LARGE, "request of " + frameBytes + " bytes exceeds the frame limit of "
                + limits.maxFrameBytes() + " bytes; nothing was applied"));
    }

    public void handle(Request req) {
        if (!req.hasTag()) {
            out.send(Responses.error(null, Response.Err.MISSING_ARG, "request has no tag"));
            return;
        }
        int tag = req.getTag();
        if (!admit(System.nanoTime())) {
            out.send(Responses.error(tag, Response.Err.RANGE, "more than " + limits.maxRequestsPerSecond()
                    + " requests per second on this connection; slow down and retry"));
            return;
        }
        if (!req.hasVerb()) {
            String which = req.getUnknownFields().hasField(2)
                    ? "unknown verb " + req.getUnknownFields().getField(2).getVarintList()
                    : "request has no verb";
            out.send(Responses.error(tag, Response.Err.UNKNOWN_VERB, which.replace("[", "").replace("]", "")));
            return;
        }
        if (busy.size() >= limits.maxInFlight()) {
            out.send(Responses.error(tag, Response.Err.RANGE, "too many requests in flight on this connection (limit "
                    + limits.maxInFlight() + ")"));
            return;
        }
        if (req.getVerb() == Verb.CANCEL) {
            cancel(tag, req);
            return;
        }
        if (busy.putIfAbsent(tag, new Unary(req.getVerb(), System.nanoTime())) != null) {
            out.send(Responses.error(tag, Response.Err.TAG_IN_USE, "tag " + tag + " is in use by a running request"));
            return;
        }
        try {
            dispatch(tag, req);
        } catch (StoreException e) {
            finish(tag, Responses.error(tag, e));
        }
    }

    // A token bucket: one token per request, refilled at the allowed rate, holding one second's worth.
    private double tokens = -1;
    private long lastRefill;

    /** Whether one more request fits the connection's rate. Called on the connection's I/O thread. */
    boolean admit(long nowNanos) {
        double cap = limits.maxRequestsPerSecond();
        if (tokens < 0) {
            tokens = cap;
            lastRefill = nowNanos;
        }
        tokens = Math.min(cap, tokens + (nowNanos - lastRefill) / 1e9 * cap);
        lastRefill = nowNanos;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    /** The connection is gone: stop its watches. */
    public void closed() {
        closed = true;
        for (Object running : busy.values()) {
            if (running instanceof WatchHandle w) {
                w.cancel();
            }
        }
    }

    private void dispatch(int tag, Request req) {
        switch (req.getVerb()) {
            case NOP -> finish(tag, Responses.ok(tag).build());
            case ACCESS -> {
                Identity who;
                try {
                    who = auth.ignoresTokens() ? identity() : auth.fromToken(req.getValue().toStringUtf8());
                } catch (IllegalArgumentException refused) {
                    throw new StoreException(Err.PERMISSION_DENIED, "ACCESS refused: " + refused.getMessage());
                }
                identity = who;
                finish(tag, Responses.ok(tag).setValue(ByteString.copyFromUtf8(who.toJson())).build());
            }
            case ACL_CHECK -> {
                String path = path(req);
                io.cairn.node.acl.Rule.Question q = io.cairn.node.acl.Rule.question(req.getValue().toByteArray());
                reply(tag, kv.read(t -> {
                    checkIn(t, io.cairn.node.acl.Rule.DIR, Right.READ);
                    boolean allowed = t.policy().grantsFor(q.who()).allows(path, q.right());
                    return Responses.ok(tag).setValue(ByteString.copyFromUtf8(Boolean.toString(allowed))).build();
                }, req.getSerializable()));
            }
            case SNAPSHOT -> {
                check("/", Right.ADMIN);
                boolean history = !req.getWithoutHistory();
                // Captured on the replica's loop (a linearizable read), then encoded and sent from a thread of its own, one
                // entry at a time at the pace the client reads: a backup of a million files encoded whole ran the heap out.
                kv.read(t -> t.capture(0)).whenComplete((capture, failure) -> {
                    if (failure != null) {
                        reply(tag, CompletableFuture.failedFuture(failure));
                        return;
                    }
                    Thread sender = new Thread(() -> sendBackup(tag, capture, history), "cairn-backup-" + tag);
                    sender.setDaemon(true);
                    sender.start();
                });
            }
            case WHOAMI -> finish(tag, Responses.ok(tag).setValue(ByteString.copyFromUtf8(identity().toJson())).build());
            case SELF -> finish(tag, Responses.ok(tag)
                    .setValue(ByteString.copyFromUtf8(Long.toString(kv.nodeId()))).build());
            case REV -> reply(tag, kv.read(t -> Responses.ok(tag).setRev(t.rev()).setOldestRev(t.oldestRev()).build(),
                    req.getSerializable()));
            case GET -> {
                String path = path(req);
                long rev = req.getRev();
                reply(tag, kv.read(t -> {
                    checkIn(t, path, Right.READ);
                    FileEntry f = t.get(path, rev);
                    Response.Builder b = Responses.ok(tag).setRev(f.rev());
                    if (f.value() != null) {
                        b.setValue(ByteString.copyFrom(f.value()));
                    }
                    return b.build();
                }, req.getSerializable()));
            }
            case STAT -> {
                String path = path(req);
                long rev = req.getRev();
                reply(tag, kv.read(t -> {
                    checkIn(t, path, Right.READ);
                    Stat s = t.stat(path, rev);
                    return Responses.ok(tag).setRev(s.rev()).setLen(s.len()).build();
                }, req.getSerializable()));
            }
            case GETDIR -> {
                String path = path(req);
                long rev = req.getRev();
                int offset = Reads.offset(req.getOffset());
                boolean paged = req.hasLimit();
                int limit = paged ? Reads.pageLimit(req.getLimit(), limits.maxPage()) : 1;
                reply(tag, kv.read(t -> {
                    Grants g = reachIn(t, path, Right.READ);
                    Reads.Listing<String> listing = Reads.names(t, path, rev, offset, limit, Reads.visibleNames(g, path));
                    long at = listing.rev();
                    Page<String> page = listing.page();
                    if (!paged) {
                        if (page.items().isEmpty()) {
                            throw new StoreException(Err.RANGE, "offset " + offset + " is past the last entry of " + path);
                        }
                        return Responses.ok(tag).setPath(page.items().get(0)).setRev(at).build();
                    }
                    return Responses.ok(tag).addAllNames(page.items()).setMore(page.more()).setRev(at).build();
                }, req.getSerializable()));
            }
            case WALK -> {
                Glob glob = Glob.compile(path(req));
                long rev = req.getRev();
                int offset = Reads.offset(req.getOffset());
                boolean paged = req.hasLimit();
                int limit = paged ? Reads.pageLimit(req.getLimit(), limits.maxPage()) : 1;
                reply(tag, kv.read(t -> {
                    Grants g = reachIn(t, glob.literalPrefix(), Right.READ);
                    Reads.Listing<FileEntry> listing = Reads.files(t, glob, rev, offset, limit, Reads.visible(g, Right.READ));
                    long at = listing.rev();
                    Page<FileEntry> page = listing.page();
                    if (!paged) {
                        if (page.items().isEmpty()) {
                            throw new StoreException(Err.RANGE, "offset " + offset + " is past the last match of " + glob);
                        }
                        FileEntry f = page.items().get(0);
                        return Responses.ok(tag).setPath(f.path()).setValue(ByteString.copyFrom(f.value())).setRev(f.rev()).build();
                    }
                    Response.Builder b = Responses.ok(tag).setMore(page.more()).setRev(at);
                    for (FileEntry f : page.items()) {
                        b.addEntries(entry(f));
                    }
                    return b.build();
                }, req.getSerializable()));
            }
            case HISTORY -> {
                String path = path(req);
                int offset = Reads.offset(req.getOffset());
                int limit = req.hasLimit() ? Reads.pageLimit(req.getLimit(), limits.maxPage()) : limits.maxPage();
                reply(tag, kv.read(t -> {
                    checkIn(t, path, Right.READ);
                    Reads.Listing<Event> listing = Reads.history(t, path, offset, limit);
                    Response.Builder b = Responses.ok(tag).setMore(listing.page().more()).setRev(listing.rev())
                            .setOldestRev(t.oldestRev());
                    for (Event e : listing.page().items()) {
                        Version.Builder v = Version.newBuilder().setRev(e.rev()).setLen(e.deleted() ? 0 : e.value().length)
                                .setDeleted(e.deleted()).setTimeMs(e.timeMs());
                        if (e.author() != null) {
                            v.setAuthor(e.author());
                        }
                        b.addVersions(v);
                    }
                    return b.build();
                }, req.getSerializable()));
            }
            case DIFF -> {
                String path = path(req);
                int offset = Reads.offset(req.getOffset());
                int limit = req.hasLimit() ? Reads.pageLimit(req.getLimit(), limits.maxPage()) : limits.maxPage();
                long from = req.getRev();
                long to = req.getToRev();
                reply(tag, kv.read(t -> {
                    Grants g = reachIn(t, path, Right.READ);
                    Reads.Listing<Reads.Change> listing = Reads.diff(t, path, from, to, offset, limit, Reads.visible(g, Right.READ));
                    Response.Builder b = Responses.ok(tag).setMore(listing.page().more()).setRev(listing.rev());
                    for (Reads.Change c : listing.page().items()) {
                        Change.Builder cb = Change.newBuilder().setPath(c.path());
                        if (c.before() != null) {
                            cb.setBefore(entry(c.before()));
                        }
                        if (c.after() != null) {
                            cb.setAfter(entry(c.after()));
                        }
                        b.addChanges(cb);
                    }
                    return b.build();
                }, req.getSerializable()));
            }
            case SET -> {
                String path = path(req);
                requireRev(req, "SET");
                write(tag, Txn.newBuilder().addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath(path)
                        .setValue(req.getValue()).setRev(req.getRev()).setSession(req.getSession())).build(), false);
            }
            case DEL -> {
                String path = path(req);
                requireRev(req, "DEL");
                write(tag, Txn.newBuilder().addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath(path)
                        .setRev(req.getRev()).setSession(req.getSession())).build(), false);
            }
            case SESSION_OPEN -> {
                long ttl = req.hasTtlMs() ? req.getTtlMs() : DEFAULT_TTL_MS;
                if (ttl < MIN_TTL_MS || ttl > MAX_TTL_MS) {
                    throw new StoreException(Err.RANGE, "session TTL " + ttl + " ms is outside " + MIN_TTL_MS + ".." + MAX_TTL_MS + " ms");
                }
                // The bound is on sessions still open: ended ones (closed or expired) are forgotten first.
                reply(tag, kv.read(t -> {
                    openedHere.removeIf(t::sessionEnded);
                    if (openedHere.size() >= MAX_SESSIONS_PER_CONNECTION) {
                        throw new StoreException(Err.RANGE, "this connection already has " + MAX_SESSIONS_PER_CONNECTION
                                + " open sessions (the limit)");
                    }
                    return ttl;
                }, true).thenCompose(x -> kv.openSession(ttl, actor())).thenApply(id -> {
                    openedHere.add(id);
                    return Responses.ok(tag).setSession(id).build();
                }));
            }
            case SESSION_KEEPALIVE -> reply(tag, kv.keepalive(session(req)).thenApply(x -> Responses.ok(tag).build()));
            case SESSION_CLOSE -> reply(tag, kv.closeSession(session(req), actor(), auth.enforcing()).thenApply(r -> {
                if (!r.ok()) {
                    throw r.error();
                }
                return Responses.ok(tag).setRev(r.rev()).build();
            }));
            case SESSIONS -> {
                Grants g = grants();
                String me = identity().name();
                // Without admin, a caller sees only the sessions it opened.
                reply(tag, kv.sessionList().thenApply(l -> Responses.ok(tag)
                        .addAllSessions(g == null || g.all() ? l : l.stream().filter(x -> x.getOwner().equals(me)).toList()).build()));
            }
            case TXN -> {
                if (!req.hasTxn()) {
                    throw new StoreException(Err.MISSING_ARG, "TXN needs a txn");
                }
                write(tag, Commands.txn(req.getTxn()), true);
            }
            case WAIT, WATCH -> watch(tag, req, req.getVerb() == Verb.WAIT);
            case MEMBERS -> reply(tag, kv.memberList().thenApply(list -> Responses.ok(tag).addAllMembers(list).build()));
            case MEMBER_ADD, MEMBER_PROMOTE, MEMBER_REMOVE -> {
                check("/ctl/members", Right.ADMIN);
                if (!req.hasMember() || req.getMember().getId() < 1) {
                    throw new StoreException(Err.MISSING_ARG, req.getVerb() + " needs member.id (a positive integer)");
                }
                if (req.getVerb() == Verb.MEMBER_ADD) {
                    for (String a : List.of(req.getMember().getPeerAddr(), req.getMember().getClientAddr(), req.getMember().getHttpAddr())) {
                        if (!a.matches("[^:\\s]+:\\d{1,5}")) {
                            throw new StoreException(Err.INVALID, "MEMBER_ADD needs peer, client and http addresses as HOST:PORT, got \"" + a + "\"");
                        }
                    }
                }
                reply(tag, kv.changeMembership(req.getVerb(), req.getMember()).thenApply(r -> {
                    if (!r.ok()) {
                        throw r.error();
                    }
                    return Responses.ok(tag).setRev(r.rev()).build();
                }));
            }
            default -> throw new StoreException(Err.UNKNOWN_VERB, "verb " + req.getVerb() + " is not served");
        }
    }

    static final long DEFAULT_TTL_MS = 10_000;
    static final long MIN_TTL_MS = 500;
    static final long MAX_TTL_MS = 300_000;
    static final int MAX_SESSIONS_PER_CONNECTION = 64;
    /** Sessions opened through this connection (ended ones are pruned when the bound is reached). */
    private final java.util.Set<Long> openedHere = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static long session(Request req) {
        if (!req.hasSession() || req.getSession() < 1) {
            throw new StoreException(Err.MISSING_ARG, req.getVerb() + " needs a session id");
        }
        return req.getSession();
    }

    private static Entry entry(FileEntry f) {
        return Entry.newBuilder().setPath(f.path()).setValue(ByteString.copyFrom(f.value())).setRev(f.rev()).build();
    }

    private static String path(Request req) {
        if (!req.hasPath()) {
            throw new StoreException(Err.MISSING_ARG, req.getVerb() + " needs a path");
        }
        return req.getPath();
    }

    private static void requireRev(Request req, String verb) {
        if (!req.hasRev()) {
            throw new StoreException(Err.MISSING_ARG, verb + " needs rev: the file's expected rev (0 creates, -1 clobbers)");
        }
    }

    /**
     * Who a command from this connection is made by: with the policy enforced always the caller
     * (anonymous too, whom the policy then judges); otherwise the caller when authenticated, for
     * the record, and null for an anonymous one.
     */
    private io.cairn.proto.State.Identity actor() {
        Identity who = identity();
        return auth.enforcing() || !who.anonymous() ? who.toProto() : null;
    }

    /**
     * Proposes a write as this caller. With the policy enforced it is checked only where it lands
     * in the log, against the policy as of there: a member that has not applied a grant yet must
     * not refuse a write the grant allows, nor let one through that a revoke ahead of it forbids.
     */
    private void write(int tag, Txn txn, boolean asTxn) {
        CompletableFuture<Response> answer = kv.write(access.stamp(Command.newBuilder().setTxn(txn), identity()).build()).thenApply(r -> {
            // Forwarded: name the leader, where the client may send its next writes itself.
            String leaderAt = kv.leaderClientAddress();
            if (!r.ok()) {
                Response e = Responses.error(tag, r.error());
                return leaderAt == null ? e : e.toBuilder().setLeaderAddr(leaderAt).build();
            }
            if (!asTxn) {
                OpResult only = r.results().get(0);
                Response.Builder b = Responses.ok(tag).setRev(only.rev()).setPath(only.path());
                if (leaderAt != null) {
                    b.setLeaderAddr(leaderAt);
                }
                return b.build();
            }
            TxnResult.Builder tr = TxnResult.newBuilder().setSucceeded(r.succeeded());
            for (OpResult o : r.results()) {
                Response.Builder b = Response.newBuilder().setPath(o.path()).setRev(o.rev());
                if (o.value() != null) {
                    b.setValue(ByteString.copyFrom(o.value()));
                }
                tr.addResults(b);
            }
            Response.Builder b = Responses.ok(tag).setRev(r.rev()).setTxn(tr);
            if (leaderAt != null) {
                b.setLeaderAddr(leaderAt);
            }
            return b.build();
        });
        reply(tag, answer);
    }

    private void watch(int tag, Request req, boolean once) {
        Glob glob = Glob.compile(path(req));
        Grants gate = grants();
        if (gate != null) {
            gate.checkReach(glob.literalPrefix(), Right.WATCH);
        }
        if (watches.incrementAndGet() > limits.maxWatches()) {
            watches.decrementAndGet();
            throw new StoreException(Err.RANGE, "too many watches on this connection (limit " + limits.maxWatches() + ")");
        }
        long from;
        try {
            from = Reads.watchFrom(req.getRev());
        } catch (StoreException bad) {
            watches.decrementAndGet();
            throw bad;
        }
        WatchHandle handle = kv.watch(glob, from, once, new WatchSink() {
            private long lastRev;

            @Override
            public boolean deliver(List<Event> events) {
                if (closed) {
                    release();
                    return false;
                }
                if (out.pendingBytes() > limits.maxPendingBytes()) {
                    release();
                    out.send(Responses.error(tag, Response.Err.RANGE, "watcher fell too far behind; resume from revision " + lastRev));
                    log.info("ended a slow watch on {} at rev {}", glob, lastRev);
                    return false;
                }
                for (Event e : events) {
                    Response.Builder b = Responses.event(tag, e);
                    if (once) {
                        // WAIT answers with the first change and is then done.
                        b.setFlags(b.getFlags() | Responses.DONE);
                        release();
                        out.send(b.build());
                        return true;
                    }
                    out.send(b.build());
                }
                lastRev = events.get(events.size() - 1).rev();
                return true;
            }

            @Override
            public void end(StoreException error) {
                if (release()) {
                    out.send(error == null ? Response.newBuilder().setTag(tag).setFlags(Responses.DONE).build()
                            : Responses.error(tag, error));
                }
            }

            /** The policy as the revision is applied: a revoke reaches a running watch at the revision it commits. */
            @Override
            public boolean accepts(String path) {
                return gate == null || access.watchable(kv, identity, path);
            }

            private boolean release() {
                if (busy.remove(tag) != null) {
                    watches.decrementAndGet();
                    return true;
                }
                return false;
            }
        });
        // The tag was reserved as a Unary; from now on it names the watch, for CANCEL.
        Object reserved = busy.get(tag);
        if (reserved instanceof Unary) {
            busy.replace(tag, reserved, handle);
        }
    }

    private void cancel(int tag, Request req) {
        if (!req.hasOtherTag()) {
            out.send(Responses.error(tag, Response.Err.MISSING_ARG, "CANCEL needs other_tag"));
            return;
        }
        Object running = busy.get(req.getOtherTag());
        if (!(running instanceof WatchHandle w)) {
            out.send(Responses.error(tag, Response.Err.INVALID, "tag " + req.getOtherTag() + " is not a running WAIT or WATCH"));
            return;
        }
        w.cancel();
        out.send(Responses.ok(tag).build());
    }

    /** SNAPSHOT's stream: the backup file in chunks, then its revision and seal (or why it stopped). */
    private void sendBackup(int tag, io.cairn.node.store.VersionedTree.Capture capture, boolean history) {
        ResponseChunks chunks = new ResponseChunks(out, tag, Backups.CHUNK, Backups.WINDOW, BACKUP_STALL_NANOS, () -> closed);
        try {
            Backups.Sent sent = Backups.write(capture, history, chunks);
            log.info("sent a backup at rev {} ({} bytes, {})", sent.rev(), sent.bytes(), history ? "with its history" : "without history");
            finish(tag, Responses.ok(tag).setRev(sent.rev()).setValue(ByteString.copyFromUtf8(sent.seal())).build());
        } catch (java.io.IOException e) {
            log.info("a backup at rev {} stopped: {}", capture.rev(), e.getMessage());
            finish(tag, Responses.error(tag, Response.Err.UNAVAILABLE, "the backup stopped: " + e.getMessage()));
        } catch (IllegalArgumentException e) {
            finish(tag, Responses.error(tag, Response.Err.TOO_LARGE, e.getMessage()));
        } catch (RuntimeException e) {
            log.warn("a backup at rev {} failed: {}", capture.rev(), e.toString());
            finish(tag, Responses.error(tag, Response.Err.OTHER, "internal error: " + e));
        }
    }

    /** A client that reads nothing of a backup for this long is given up on. */
    private static final long BACKUP_STALL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

    private void reply(int tag, CompletableFuture<Response> answer) {
        answer.whenComplete((resp, failure) -> {
            if (failure == null) {
                finish(tag, resp);
                return;
            }
            Throwable cause = Causes.unwrapped(failure);
            if (cause instanceof StoreException se) {
                finish(tag, Responses.error(tag, se));
            } else {
                log.warn("request tag {} failed: {}", tag, cause.toString());
                finish(tag, Responses.error(tag, Response.Err.OTHER, "internal error: " + cause));
            }
        });
    }

    private void finish(int tag, Response resp) {
        Object running = busy.remove(tag);
        out.send(resp);
        if (running instanceof Unary u) {
            kv.requestObserver().answered(u.verb(), System.nanoTime() - u.arrived());
        }
    }
}
