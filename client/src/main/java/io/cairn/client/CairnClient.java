package io.cairn.client;

import io.cairn.net.JsonText;
import com.google.protobuf.ByteString;
import io.cairn.net.Causes;
import io.cairn.net.TlsConfig;
import io.cairn.proto.Msg.Entry;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.Txn;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Cairn client: one multiplexed connection at a time to one of several endpoints, failing
 * over to the next when it is lost. Every operation has an async form returning a
 * CompletableFuture and a blocking form that throws the {@link CairnException} subclass of the
 * error code.
 *
 * <p>Reads are retried on another endpoint when the connection drops, and also when a read is
 * not answered within the attempt timeout (1 s by default) while other endpoints are known: a
 * member that is stopped (SIGSTOP, a frozen VM, a long pause) keeps its connections open and
 * answers nothing, so without that deadline a read waited out the whole request timeout. The
 * connection that missed it is left for the calls still on it and closed a request timeout
 * later; new calls go to the next endpoint. Writes are not retried once sent (their outcome is
 * unknown, and they fail with {@link ConnectionLostException} or {@link RequestTimeoutException});
 * a write that could not be sent because no connection could be made fails with nothing written.
 */
public final class CairnClient implements AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CairnClient.class);
    /** Extra tries a read gets when the cluster answers UNAVAILABLE (an election under way). */
    private static final int READ_RETRIES = 20;
    /** How often overdue calls are looked for: a timeout fires at most this much late. */
    private static final long SWEEP_MS = 20;

    private final List<InetSocketAddress> endpoints;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final Duration attemptTimeout;
    private final Transport transport;
    private final CallDeadlines deadlines = new CallDeadlines();
    private final CallDeadlines attemptDeadlines = new CallDeadlines();
    private final ExecutorService listeners;
    /** Watches "from the next change" share one member-side watch per glob (SharedWatch); by glob. */
    private final java.util.Map<String, SharedWatch> sharedWatches = new java.util.HashMap<>();
    private final boolean shareWatches;
    private final java.util.function.Supplier<String> token;
    /** Where writes go: straight to the leader once a member named it (null: always over {@link #current}). */
    private final WriteRoute writeRoute;
    private CompletableFuture<Connection> current;
    private int nextEndpoint;
    private volatile boolean closed;

    private CairnClient(Builder b) {
        // Each endpoint once, in the order given: a stopped member listed twice cost two attempt deadlines.
        this.endpoints = List.copyOf(new java.util.LinkedHashSet<>(b.endpoints));
        this.requestTimeout = b.requestTimeout;
        this.connectTimeout = b.connectTimeout;
        this.attemptTimeout = b.attemptTimeout;
        this.token = b.token;
        this.shareWatches = b.shareWatches;
        this.transport = b.socketTransport ? new SocketClientTransport(b.tls, connectTimeout) : new NettyClientTransport(b.tls, connectTimeout);
        this.writeRoute = b.leaderWrites ? new WriteRoute(this::open) : null;
        this.listeners = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cairn-client-events");
            t.setDaemon(true);
            return t;
        });
        transport.loop().scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            deadlines.sweep(now);
            attemptDeadlines.sweep(now);
        }, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
        if (token != null) {
            // A service-account token is rotated in place by the kubelet: show the fresh one before the old expires.
            transport.loop().scheduleAtFixedRate(this::refreshToken, TOKEN_REFRESH_MS, TOKEN_REFRESH_MS, TimeUnit.MILLISECONDS);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A client for a comma-separated endpoint list with default timeouts. */
    public static CairnClient connect(String endpoints) {
        return builder().endpoints(endpoints).build();
    }

    public static final class Builder {
        private List<InetSocketAddress> endpoints = List.of();
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration attemptTimeout = Duration.ofSeconds(1);
        private TlsConfig tls;
        private java.util.function.Supplier<String> token;
        private boolean shareWatches = true;
        private boolean socketTransport;
        private boolean leaderWrites = true;

        /**
         * Whether writes (SET, DEL, TXN) go straight to the leader over a second connection once
         * a member that follows names it in an answer (the default), rather than through the
         * member this client is connected to, which forwards them: two hops fewer per write.
         * Reads, watches and sessions stay on the one connection. One client's writes still reach
         * the leader in the order they were sent. Where the leader's advertised address cannot be
         * reached from this client, writes take the forward as before. False keeps one connection
         * (the sidecar, the CLI and the operator: few writes each, from short-lived clients or
         * through a port-forward).
         */
        public Builder leaderWrites(boolean direct) {
            this.leaderWrites = direct;
            return this;
        }

        /**
         * Talk over blocking JDK sockets, a reader and a writer thread per connection, instead of
         * Netty's event loop (the default). Nothing of Netty is loaded, TLS included, which saves
         * about 3 MiB of class data for two threads more: for a client that makes few calls at a
         * time, such as the sidecar. Netty's batching serves many concurrent calls better.
         */
        public Builder socketTransport(boolean sockets) {
            this.socketTransport = sockets;
            return this;
        }

        /**
         * Whether watches "from the next change" of one glob share one member-side watch, this
         * client handing each change to all of them (the default, as ZooKeeper's client does);
         * false gives each its own. A watch from a given revision always has its own.
         */
        public Builder shareWatches(boolean share) {
            this.shareWatches = share;
            return this;
        }

        /**
         * Authenticate with a token (a bearer token, or a Kubernetes service-account token): sent
         * with ACCESS on every new connection and again every minute, asked of {@code token} each
         * time, so a token file rotated in place is followed.
         */
        public Builder token(java.util.function.Supplier<String> token) {
            this.token = token;
            return this;
        }

        /** {@link #token(java.util.function.Supplier)} read from a file each time (surrounding whitespace dropped). */
        public Builder tokenFile(java.nio.file.Path file) {
            return token(() -> {
                try {
                    return java.nio.file.Files.readString(file).strip();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot read the token file " + file + ": " + e.getMessage(), e);
                }
            });
        }

        /**
         * Speak TLS: the member's certificate must chain to the configured CAs and name the
         * endpoint's host; the client's own certificate, if configured, is shown to members that
         * require one. Files are read again when they change.
         */
        public Builder tls(TlsConfig tls) {
            this.tls = tls;
            return this;
        }

        public Builder endpoints(String list) {
            this.endpoints = Endpoints.parse(list);
            return this;
        }

        public Builder endpoints(List<InetSocketAddress> list) {
            if (list.isEmpty()) {
                throw new IllegalArgumentException("no endpoints given");
            }
            this.endpoints = List.copyOf(list);
            return this;
        }

        public Builder requestTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("request timeout must be positive");
            }
            this.requestTimeout = d;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("connect timeout must be positive");
            }
            this.connectTimeout = d;
            return this;
        }

        /**
         * How long one try of a read waits on a member before the read is tried on the next
         * endpoint (default 1 s; used only with more than one endpoint). A linearizable read
         * takes a quorum round trip, milliseconds; a second is far past a slow answer.
         */
        public Builder attemptTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("attempt timeout must be positive");
            }
            this.attemptTimeout = d;
            return this;
        }

        public CairnClient build() {
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("no endpoints given");
            }
            return new CairnClient(this);
        }
    }

    // ---- connections ------------------------------------------------------------------------

    /** The live connection, or a new one to the next endpoint that answers. */
    synchronized CompletableFuture<Connection> connection() {
        if (closed) {
            return CompletableFuture.failedFuture(new UnavailableException("client is closed"));
        }
        if (current != null) {
            if (!current.isDone()) {
                return current;
            }
            if (!current.isCompletedExceptionally() && current.join().isActive()) {
                return current;
            }
        }
        CompletableFuture<Connection> f = new CompletableFuture<>();
        current = f;
        tryConnect(f, 0, null);
        return f;
    }

    /** The calls waiting for a connection being opened, run in the order they were made once it is. */
    private static final class Opening {
        final CompletableFuture<Connection> connection;
        final java.util.ArrayDeque<java.util.function.BiConsumer<Connection, Throwable>> waiting = new java.util.ArrayDeque<>();
        /** Every waiting call has been run: later calls run at once. */
        boolean drained;

        Opening(CompletableFuture<Connection> connection) {
            this.connection = connection;
        }
    }

    /** The opening the last calls waited on; guarded by this client. */
    private Opening opening;

    /**
     * Runs {@code then} with the live connection (or why there is none), in the order calls were
     * made: a CompletableFuture runs what waits on it last-first, so 500 writes sent while the
     * connection opened went out in reverse order (LeaderWritesProcessTest). The calls that
     * wait are queued and run one after the other, outside the client's lock, by whichever
     * thread completes the opening: a chain of futures ran each call inside the one before,
     * and 4,000 writes made at start-up overflowed the stack and were never sent (ClientApiTest).
     */
    void whenConnected(java.util.function.BiConsumer<Connection, Throwable> then) {
        CompletableFuture<Connection> f;
        Opening started = null;
        synchronized (this) {
            f = connection();
            if (opening != null && opening.connection == f && !opening.drained) {
                opening.waiting.add(then); // behind the calls still waiting, or still being run
                return;
            }
            if (!f.isDone()) {
                opening = new Opening(f);
                opening.waiting.add(then);
                started = opening;
            }
        }
        if (started != null) {
            Opening o = started;
            f.whenComplete((c, err) -> runWaiting(o, c, err));
            return;
        }
        f.whenComplete((c, err) -> runCall(then, c, err)); // done: runs here and now
    }

    private void runWaiting(Opening o, Connection c, Throwable err) {
        while (true) {
            java.util.function.BiConsumer<Connection, Throwable> next;
            synchronized (this) {
                next = o.waiting.poll();
                if (next == null) {
                    o.drained = true;
                    return;
                }
            }
            runCall(next, c, err);
        }
    }

    private static void runCall(java.util.function.BiConsumer<Connection, Throwable> call, Connection c, Throwable err) {
        try {
            call.accept(c, err);
        } catch (RuntimeException e) {
            log.warn("a call failed to start: {}", e.toString());
        }
    }

    private void tryConnect(CompletableFuture<Connection> f, int tried, Throwable lastError) {
        if (tried >= endpoints.size()) {
            StringBuilder all = new StringBuilder();
            for (InetSocketAddress a : endpoints) {
                all.append(all.length() == 0 ? "" : ", ").append(Endpoints.show(a));
            }
            f.completeExceptionally(new UnavailableException("no endpoint answered (" + all + ")"
                    + (lastError == null ? "" : ": " + lastError.getMessage())));
            return;
        }
        InetSocketAddress endpoint;
        synchronized (this) {
            endpoint = endpoints.get(nextEndpoint % endpoints.size());
        }
        open(endpoint).whenComplete((c, err) -> {
            if (err == null) {
                f.complete(c);
                return;
            }
            if (err instanceof TokenRefused refused) {
                // The same token is refused by every member: say so rather than try the next.
                f.completeExceptionally(refused.answer);
                return;
            }
            advance();
            tryConnect(f, tried + 1, err);
        });
    }

    /** ACCESS was not answered with a yes: the answer, to give the caller rather than try another member. */
    private static final class TokenRefused extends RuntimeException {
        final CairnException answer;

        TokenRefused(CairnException answer) {
            super(answer.getMessage(), answer, false, false);
            this.answer = answer;
        }
    }

    /** A connection to {@code endpoint}, ready for requests: opened, and its token shown when the client has one. */
    private CompletableFuture<Connection> open(InetSocketAddress endpoint) {
        CompletableFuture<Connection> f = new CompletableFuture<>();
        Connection c = new Connection(endpoint);
        transport.open(endpoint, c).whenComplete((link, err) -> {
            if (err != null) {
                f.completeExceptionally(err);
                return;
            }
            c.attach(link);
            if (!c.isActive()) {
                // Closed before we attached: a failed attempt.
                f.completeExceptionally(new java.io.IOException("connection closed at once"));
                return;
            }
            if (token == null) {
                f.complete(c);
                return;
            }
            access(c).whenComplete((ok, refused) -> {
                if (refused == null) {
                    f.complete(c);
                } else {
                    c.close();
                    f.completeExceptionally(new TokenRefused(unwrap(refused)));
                }
            });
        });
        return f;
    }

    static final long TOKEN_REFRESH_MS = 60_000;

    /** Shows the token on connection {@code c}: ACCESS, answered with the identity it proved. */
    private CompletableFuture<Response> access(Connection c) {
        CompletableFuture<Response> answer = new CompletableFuture<>();
        String t;
        try {
            t = token.get();
        } catch (RuntimeException e) {
            answer.completeExceptionally(new PermissionDeniedException(e.getMessage()));
            return answer;
        }
        c.send(req(Verb.ACCESS).setValue(com.google.protobuf.ByteString.copyFromUtf8(t)), new Connection.Call() {
            @Override
            public boolean onResponse(Response r) {
                if (r.hasErrCode()) {
                    answer.completeExceptionally(CairnException.of(r.getErrCode(), r.getErrDetail(), -1));
                } else {
                    answer.complete(r);
                }
                return true;
            }

            @Override
            public void onLost() {
                answer.completeExceptionally(new ConnectionLostException("connection to " + Endpoints.show(c.endpoint())
                        + " closed before ACCESS was answered"));
            }
        });
        return answer;
    }

    private void refreshToken() {
        CompletableFuture<Connection> live;
        synchronized (this) {
            live = current;
        }
        List<Connection> links = new ArrayList<>(2);
        if (live != null && live.isDone() && !live.isCompletedExceptionally() && live.join().isActive()) {
            links.add(live.join());
        }
        Connection toLeader = writeRoute == null ? null : writeRoute.leaderConnection();
        if (toLeader != null && toLeader.isActive()) {
            links.add(toLeader);
        }
        for (Connection c : links) {
            access(c).whenComplete((ok, refused) -> {
                if (refused != null) {
                    log.warn("the refreshed token was refused by {}: {}", Endpoints.show(c.endpoint()), unwrap(refused).getMessage());
                }
            });
        }
    }

    private void onLoop(Runnable task) {
        try {
            transport.loop().execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the client is closing: nothing waits on the route any more
        }
    }

    /** The endpoint of the client's connection when it has one, else null. */
    private synchronized InetSocketAddress ownEndpoint() {
        return current != null && current.isDone() && !current.isCompletedExceptionally() ? current.join().endpoint() : null;
    }

    /**
     * Whether the cluster's policy lets identity {@code name} (in {@code groups}; a service
     * account's pod {@code pod}, or null) have {@code right} (read, write, watch, admin) on {@code path}.
     */
    public boolean aclCheck(String name, List<String> groups, String pod, String right, String path) {
        StringBuilder q = new StringBuilder("{\"name\":").append(JsonText.quote(name)).append(",\"right\":").append(JsonText.quote(right));
        if (pod != null) {
            q.append(",\"pod\":").append(JsonText.quote(pod));
        }
        q.append(",\"groups\":[");
        for (int i = 0; i < groups.size(); i++) {
            q.append(i == 0 ? "" : ",").append(JsonText.quote(groups.get(i)));
        }
        q.append("]}");
        Response r = await(call(req(Verb.ACL_CHECK).setPath(path).setValue(com.google.protobuf.ByteString.copyFromUtf8(q.toString())), true));
        return Boolean.parseBoolean(r.getValue().toStringUtf8());
    }

    /** A backup taken: the revision it holds, its size, and the SHA-256 the member sealed it with. */
    public record Backup(long rev, long bytes, String sha256) {}

    /**
     * Takes a consistent backup of the whole tree at the latest revision (with its retained
     * history unless {@code withHistory} is false) and writes it to {@code out} as it arrives: the
     * backup file {@code cairn snapshot restore} reads. Fails if the connection drops, if
     * {@code timeout} passes, or if what arrived does not match the member's seal.
     */
    public Backup snapshot(java.io.OutputStream out, boolean withHistory, Duration timeout) {
        CompletableFuture<Backup> done = new CompletableFuture<>();
        java.security.MessageDigest sha;
        try {
            sha = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long[] received = {0};
        whenConnected((c, err) -> {
            if (err != null) {
                done.completeExceptionally(unwrap(err));
                return;
            }
            c.send(req(Verb.SNAPSHOT).setWithoutHistory(!withHistory), new Connection.Call() {
                @Override
                public boolean onResponse(Response r) {
                    if (r.hasErrCode()) {
                        done.completeExceptionally(CairnException.of(r.getErrCode(), r.getErrDetail(), -1));
                        return true;
                    }
                    if ((r.getFlags() & io.cairn.proto.Msg.Flag.DONE_VALUE) != 0) {
                        // The end: the file's last 32 bytes are the SHA-256 of all before them, and the
                        // member sent them again as the seal; both must hold.
                        String seal = r.getValue().toStringUtf8();
                        String tailHex = java.util.HexFormat.of().formatHex(tail, 0, tailFill);
                        String computed = java.util.HexFormat.of().formatHex(sha.digest());
                        if (tailFill < 32 || !seal.equals(tailHex) || !seal.equals(computed)) {
                            done.completeExceptionally(new UnavailableException("the backup arrived damaged (" + received[0]
                                    + " bytes; the member sealed it " + seal + ")"));
                        } else {
                            done.complete(new Backup(r.getRev(), received[0], seal));
                        }
                        return true;
                    }
                    try {
                        byte[] chunk = r.getValue().toByteArray();
                        out.write(chunk);
                        hashAllButTheLast32(chunk);
                        received[0] += chunk.length;
                    } catch (java.io.IOException e) {
                        done.completeExceptionally(new UnavailableException("cannot write the backup: " + e.getMessage(), e));
                    }
                    return false;
                }

                /** The last 32 bytes seen, held back from the hash until more come. */
                private final byte[] tail = new byte[32];
                private int tailFill;

                private void hashAllButTheLast32(byte[] chunk) {
                    byte[] joined = new byte[tailFill + chunk.length];
                    System.arraycopy(tail, 0, joined, 0, tailFill);
                    System.arraycopy(chunk, 0, joined, tailFill, chunk.length);
                    int keep = Math.min(32, joined.length);
                    sha.update(joined, 0, joined.length - keep);
                    System.arraycopy(joined, joined.length - keep, tail, 0, keep);
                    tailFill = keep;
                }

                @Override
                public void onLost() {
                    done.completeExceptionally(new ConnectionLostException("connection to " + Endpoints.show(c.endpoint())
                            + " closed before the backup was complete (" + received[0] + " bytes)"));
                }
            });
        });
        try {
            return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new RequestTimeoutException("the backup was not complete within " + timeout.toMillis() + " ms ("
                    + received[0] + " bytes)");
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted");
        }
    }

    /** Who this client acts as, as the member it is connected to sees it (JSON: name, groups, ...). */
    public String whoami() {
        return await(call(req(Verb.WHOAMI), true)).getValue().toStringUtf8();
    }

    private synchronized void advance() {
        nextEndpoint = (nextEndpoint + 1) % endpoints.size();
    }

    /**
     * A connection whose member let a read's attempt deadline pass: new calls go to the next
     * endpoint; the calls still on it keep it until a request timeout from now, when none can be
     * waiting any more.
     */
    private void suspect(Connection c) {
        synchronized (this) {
            if (current == null || !current.isDone() || current.isCompletedExceptionally() || current.join() != c) {
                return;
            }
            advance();
            current = null;
        }
        transport.loop().schedule(c::close, requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Marks the current connection bad so the next call fails over. */
    private synchronized void dropped(Connection c) {
        if (current != null && current.isDone() && !current.isCompletedExceptionally() && current.join() == c) {
            advance();
        }
    }

    // ---- calls -------------------------------------------------------------------------------

    /** Sends one request expecting one answer; reads are retried on another endpoint if the connection drops. */
    CompletableFuture<Response> call(Request.Builder req, boolean idempotent) {
        CompletableFuture<Response> result = new CompletableFuture<>();
        Verb verb = req.getVerb();
        if (writeRoute != null && (verb == Verb.SET || verb == Verb.DEL || verb == Verb.TXN)) {
            writeRoute.dispatch(ticket -> {
                // Counted off on the loop: the route's lock is never taken under the client's.
                result.whenComplete((r, e) -> onLoop(() -> writeRoute.done(ticket)));
                if (ticket.leader() == null) {
                    attempt(req, false, result, 1);
                } else {
                    sendOn(ticket.leader(), req, false, result, 1);
                }
            });
        } else {
            attempt(req, idempotent, result, idempotent ? Math.max(endpoints.size(), 1) + READ_RETRIES : 1);
        }
        // A late answer after the timeout finds the call already forgotten (see attempt).
        deadlines.add(System.nanoTime() + requestTimeout.toNanos(), result, () -> req.getVerb()
                + " got no answer within " + requestTimeout.toMillis() + " ms" + (idempotent ? "" : "; its outcome is unknown"));
        return result;
    }

    private void attempt(Request.Builder req, boolean idempotent, CompletableFuture<Response> result, int attemptsLeft) {
        whenConnected((conn, err) -> {
            if (err != null) {
                result.completeExceptionally(unwrap(err));
                return;
            }
            sendOn(conn, req, idempotent, result, attemptsLeft);
        });
    }

    /** One try of a call on connection {@code conn}; a read that fails over tries again through {@link #attempt}. */
    private void sendOn(Connection conn, Request.Builder req, boolean idempotent, CompletableFuture<Response> result, int attemptsLeft) {
        if (result.isDone()) {
            return;
        }
        CompletableFuture<Void> attemptDue = new CompletableFuture<>();
        int tag = conn.send(req.clone(), new Connection.Call() {
            @Override
            public boolean onResponse(Response r) {
                attemptDue.complete(null);
                if (r.hasLeaderAddr() && writeRoute != null) {
                    writeRoute.leaderNamed(r.getLeaderAddr(), ownEndpoint());
                }
                if (r.hasErrCode() && r.getErrCode() == io.cairn.proto.Msg.Response.Err.UNAVAILABLE
                        && idempotent && attemptsLeft > 1) {
                    // Reads are safe to repeat: try again shortly, while the cluster elects a leader.
                    transport.loop().schedule(() -> attempt(req, true, result, attemptsLeft - 1), 100, TimeUnit.MILLISECONDS);
                    return true;
                }
                if (r.hasErrCode()) {
                    result.completeExceptionally(CairnException.of(r.getErrCode(), r.getErrDetail(),
                            r.hasCurrentRev() ? r.getCurrentRev() : -1));
                } else {
                    result.complete(r);
                }
                return true;
            }

            @Override
            public void onLost() {
                attemptDue.complete(null);
                dropped(conn);
                if (idempotent && attemptsLeft > 1) {
                    attempt(req, true, result, attemptsLeft - 1);
                } else {
                    result.completeExceptionally(new ConnectionLostException("connection to "
                            + Endpoints.show(conn.endpoint()) + " closed before " + req.getVerb() + " was answered"
                            + (conn.failure() == null ? "" : " (" + conn.failure() + ")")
                            + (idempotent ? "" : conn.notCairn() ? "; nothing was written" : "; its outcome is unknown")));
                }
            }
        });
        result.whenComplete((r, e) -> {
            attemptDue.complete(null);
            if (e instanceof RequestTimeoutException) {
                conn.forget(tag);
            }
        });
        if (idempotent && attemptsLeft > 1 && endpoints.size() > 1) {
            attemptDeadlines.add(System.nanoTime() + attemptTimeout.toNanos(), attemptDue, () -> "attempt");
            attemptDue.whenComplete((x, late) -> {
                if (late instanceof RequestTimeoutException && !result.isDone()) {
                    conn.forget(tag);
                    suspect(conn);
                    attempt(req, true, result, attemptsLeft - 1);
                }
            });
        }
    }

    static CairnException unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof CairnException ce) {
            return ce;
        }
        return new UnavailableException(c.toString(), c);
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted");
        }
    }

    private static Request.Builder req(Verb verb) {
        return Request.newBuilder().setVerb(verb);
    }

    // ---- async API ---------------------------------------------------------------------------

    /** A file's value and rev at {@code rev} (0: latest). */
    public CompletableFuture<Versioned> getAsync(String path, long rev) {
        return getAsync(path, rev, false);
    }

    /**
     * As {@link #getAsync(String, long)}; with {@code serializable} the member asked answers from
     * its own copy without confirming leadership with a quorum, so the value may be slightly stale.
     */
    public CompletableFuture<Versioned> getAsync(String path, long rev, boolean serializable) {
        Request.Builder r = req(Verb.GET).setPath(path);
        if (rev != 0) {
            r.setRev(rev);
        }
        if (serializable) {
            r.setSerializable(true);
        }
        return call(r, true).thenApply(resp -> new Versioned(path,
                resp.hasValue() ? resp.getValue().toByteArray() : null, resp.getRev()));
    }

    /** Writes if the file's rev is {@code expectedRev} (0: create only; -1: clobber); gives the new rev. */
    public CompletableFuture<Long> setAsync(String path, byte[] value, long expectedRev) {
        return call(req(Verb.SET).setPath(path).setValue(ByteString.copyFrom(value)).setRev(expectedRev), false)
                .thenApply(Response::getRev);
    }

    /** Deletes if the file's rev is {@code expectedRev} (-1: whatever it is); gives the new revision. */
    public CompletableFuture<Long> delAsync(String path, long expectedRev) {
        return call(req(Verb.DEL).setPath(path).setRev(expectedRev), false).thenApply(Response::getRev);
    }

    public CompletableFuture<RevInfo> revAsync() {
        return revAsync(false);
    }

    /** The revision; with {@code serializable}, the asked member's own (it may trail the leader). */
    public CompletableFuture<RevInfo> revAsync(boolean serializable) {
        Request.Builder r = req(Verb.REV);
        if (serializable) {
            r.setSerializable(true);
        }
        return call(r, true).thenApply(resp -> new RevInfo(resp.getRev(), resp.getOldestRev()));
    }

    public CompletableFuture<StatInfo> statAsync(String path, long rev) {
        Request.Builder r = req(Verb.STAT).setPath(path);
        if (rev != 0) {
            r.setRev(rev);
        }
        return call(r, true).thenApply(resp -> new StatInfo(resp.getRev(), resp.getLen()));
    }

    /** One page of a directory's child names. */
    public CompletableFuture<Page<String>> getdirAsync(String path, long rev, int offset, int limit) {
        Request.Builder r = req(Verb.GETDIR).setPath(path).setOffset(offset).setLimit(limit);
        if (rev != 0) {
            r.setRev(rev);
        }
        return call(r, true).thenApply(resp -> new Page<>(List.copyOf(resp.getNamesList()), resp.getMore(), resp.getRev()));
    }

    /** One page of the files matching a glob. */
    public CompletableFuture<Page<Versioned>> walkAsync(String glob, long rev, int offset, int limit) {
        Request.Builder r = req(Verb.WALK).setPath(glob).setOffset(offset).setLimit(limit);
        if (rev != 0) {
            r.setRev(rev);
        }
        return call(r, true).thenApply(resp -> {
            List<Versioned> files = new ArrayList<>(resp.getEntriesCount());
            for (Entry e : resp.getEntriesList()) {
                files.add(new Versioned(e.getPath(), e.getValue().toByteArray(), e.getRev()));
            }
            return new Page<>(files, resp.getMore(), resp.getRev());
        });
    }

    /** A page of file {@code path}'s kept versions, oldest first (NOENT when none is kept). */
    public CompletableFuture<Page<Version>> historyAsync(String path, int offset, int limit) {
        return call(req(Verb.HISTORY).setPath(path).setOffset(offset).setLimit(limit), true).thenApply(resp -> {
            List<Version> versions = new ArrayList<>(resp.getVersionsCount());
            for (io.cairn.proto.Msg.Version v : resp.getVersionsList()) {
                versions.add(new Version(v.getRev(), v.getLen(), v.getDeleted(), v.hasAuthor() ? v.getAuthor() : null, v.getTimeMs()));
            }
            return new Page<>(versions, resp.getMore(), resp.getRev());
        });
    }

    /**
     * A page of the files under {@code prefix} (and {@code prefix} itself, a file) whose value
     * differs between {@code fromRev} and {@code toRev} (0: the latest); the page's rev is the later.
     */
    public CompletableFuture<Page<Change>> diffAsync(String prefix, long fromRev, long toRev, int offset, int limit) {
        Request.Builder r = req(Verb.DIFF).setPath(prefix).setRev(fromRev).setOffset(offset).setLimit(limit);
        if (toRev != 0) {
            r.setToRev(toRev);
        }
        return call(r, true).thenApply(resp -> {
            List<Change> changes = new ArrayList<>(resp.getChangesCount());
            for (io.cairn.proto.Msg.Change c : resp.getChangesList()) {
                changes.add(new Change(c.getPath(), c.hasBefore() ? versioned(c.getBefore()) : null,
                        c.hasAfter() ? versioned(c.getAfter()) : null));
            }
            return new Page<>(changes, resp.getMore(), resp.getRev());
        });
    }

    private static Versioned versioned(Entry e) {
        return new Versioned(e.getPath(), e.getValue().toByteArray(), e.getRev());
    }

    /** Runs a transaction: compares, then the success or failure ops, as one revision. */
    public CompletableFuture<TxnResponse> txnAsync(Txn txn) {
        return call(req(Verb.TXN).setTxn(txn), false).thenApply(resp -> {
            List<Versioned> results = new ArrayList<>();
            for (Response r : resp.getTxn().getResultsList()) {
                results.add(new Versioned(r.getPath(), r.hasValue() ? r.getValue().toByteArray() : null, r.getRev()));
            }
            return new TxnResponse(resp.getTxn().getSucceeded(), resp.getRev(), List.copyOf(results));
        });
    }

    /**
     * The first change matching {@code glob} with rev at least {@code fromRev} (0: the next
     * change). No request timeout applies; cancel the future to stop waiting.
     */
    public CompletableFuture<Event> waitAsync(String glob, long fromRev) {
        CompletableFuture<Event> result = new CompletableFuture<>();
        whenConnected((conn, err) -> {
            if (err != null) {
                result.completeExceptionally(unwrap(err));
                return;
            }
            Request.Builder r = req(Verb.WAIT).setPath(glob);
            if (fromRev != 0) {
                r.setRev(fromRev);
            }
            int tag = conn.send(r, new Connection.Call() {
                @Override
                public boolean onResponse(Response resp) {
                    if (resp.hasErrCode()) {
                        result.completeExceptionally(CairnException.of(resp.getErrCode(), resp.getErrDetail(), -1));
                    } else if ((resp.getFlags() & 1) != 0) {
                        result.complete(toEvent(resp));
                    } else {
                        result.cancel(false);
                    }
                    return true;
                }

                @Override
                public void onLost() {
                    result.completeExceptionally(new ConnectionLostException("connection lost while waiting on " + glob));
                }
            });
            result.whenComplete((ev, e) -> {
                if (result.isCancelled() && conn.isActive()) {
                    conn.send(req(Verb.CANCEL).setOtherTag(tag), new IgnoreAnswer());
                }
            });
        });
        return result;
    }

    /**
     * Streams every change matching {@code glob} from {@code fromRev} (0: from the next change),
     * in order, exactly once, resuming after reconnects. Close the watch to stop it.
     */
    public Watch watch(String glob, long fromRev, WatchListener listener) {
        if (fromRev > 0 || !shareWatches) {
            WatchStream w = new WatchStream(this, glob, fromRev, listener);
            w.start();
            return new Watch(w);
        }
        SharedWatch.Member m = new SharedWatch.Member(listener);
        SharedWatch s;
        synchronized (sharedWatches) {
            s = sharedWatches.get(glob);
            if (s == null || !s.join(m)) {
                s = new SharedWatch(this, glob);
                sharedWatches.put(glob, s);
                s.join(m);
                s.start();
            }
        }
        return new Watch(s, m);
    }

    /** A share of {@code s} closed: the last one ends the member-side watch. */
    void leaveShared(String glob, SharedWatch s, SharedWatch.Member m) {
        synchronized (sharedWatches) {
            if (s.remove(m)) {
                sharedWatches.remove(glob, s);
            }
        }
    }

    /** {@code s} ended with an error: the next watch of its glob starts a new one. */
    void endShared(String glob, SharedWatch s) {
        synchronized (sharedWatches) {
            s.markEnded();
            sharedWatches.remove(glob, s);
        }
    }

    /** Opens a session with this TTL, kept alive by this client until closed. */
    public Session openSession(Duration ttl) {
        long id = await(call(req(Verb.SESSION_OPEN).setTtlMs(ttl.toMillis()), false).thenApply(Response::getSession));
        return new Session(this, id, ttl);
    }

    /** The open sessions (remaining TTL is known only when the member asked leads; else -1). */
    public List<io.cairn.proto.Msg.SessionInfo> sessions() {
        return await(call(req(Verb.SESSIONS), true).thenApply(r -> List.copyOf(r.getSessionsList())));
    }

    /** The members, with addresses, role and which one leads. */
    public CompletableFuture<List<io.cairn.proto.Msg.MemberInfo>> membersAsync() {
        return call(req(Verb.MEMBERS), true).thenApply(r -> List.copyOf(r.getMembersList()));
    }

    public List<io.cairn.proto.Msg.MemberInfo> members() {
        return await(membersAsync());
    }

    /** Adds a learner (MEMBER_ADD), promotes one (MEMBER_PROMOTE) or removes a member (MEMBER_REMOVE). */
    public long changeMember(Verb verb, io.cairn.proto.Msg.MemberInfo member) {
        return await(call(req(verb).setMember(member), false).thenApply(Response::getRev));
    }

    static Event toEvent(Response r) {
        boolean deleted = (r.getFlags() & 8) != 0;
        return new Event(r.getRev(), r.getPath(), deleted ? null : r.getValue().toByteArray(), deleted,
                r.hasAuthor() ? r.getAuthor() : null, r.getTimeMs());
    }

    static final class IgnoreAnswer implements Connection.Call {
        @Override
        public boolean onResponse(Response r) {
            return true;
        }

        @Override
        public void onLost() {}
    }

    /** The transport's loop: where answers are handled and the client's timers run. */
    ScheduledExecutorService loop() {
        return transport.loop();
    }

    ExecutorService listeners() {
        return listeners;
    }

    // ---- blocking API ------------------------------------------------------------------------

    public Versioned get(String path) {
        return await(getAsync(path, 0));
    }

    public Versioned get(String path, long rev) {
        return await(getAsync(path, rev));
    }

    public long set(String path, byte[] value, long expectedRev) {
        return await(setAsync(path, value, expectedRev));
    }

    public long set(String path, String value, long expectedRev) {
        return set(path, value.getBytes(StandardCharsets.UTF_8), expectedRev);
    }

    public long del(String path, long expectedRev) {
        return await(delAsync(path, expectedRev));
    }

    public RevInfo rev() {
        return await(revAsync());
    }

    public StatInfo stat(String path, long rev) {
        return await(statAsync(path, rev));
    }

    /** Every child name of a directory at one revision, fetched page by page. */
    public List<String> getdir(String path, long rev) {
        List<String> all = new ArrayList<>();
        long at = rev;
        boolean more = true;
        while (more) {
            Page<String> p = await(getdirAsync(path, at, all.size(), 1000));
            at = p.rev();
            all.addAll(p.items());
            more = p.more();
        }
        return all;
    }

    /** Every file matching a glob at one revision, fetched page by page. */
    public Page<Versioned> walk(String glob, long rev) {
        List<Versioned> all = new ArrayList<>();
        long at = rev;
        boolean more = true;
        while (more) {
            Page<Versioned> p = await(walkAsync(glob, at, all.size(), 1000));
            at = p.rev();
            all.addAll(p.items());
            more = p.more();
        }
        return new Page<>(List.copyOf(all), false, at);
    }

    /** Every kept version of file {@code path}, oldest first. */
    public Page<Version> history(String path) {
        List<Version> all = new ArrayList<>();
        long at = 0;
        boolean more = true;
        while (more) {
            Page<Version> p = await(historyAsync(path, all.size(), 1000));
            at = p.rev();
            all.addAll(p.items());
            more = p.more();
        }
        return new Page<>(List.copyOf(all), false, at);
    }

    /** Every file under {@code prefix} that differs between {@code fromRev} and {@code toRev} (0: the latest). */
    public Page<Change> diff(String prefix, long fromRev, long toRev) {
        List<Change> all = new ArrayList<>();
        long to = toRev;
        boolean more = true;
        while (more) {
            // Later pages at the revision of the first, so the whole diff is of one pair of revisions.
            Page<Change> p = await(diffAsync(prefix, fromRev, to, all.size(), 1000));
            to = p.rev();
            all.addAll(p.items());
            more = p.more();
        }
        return new Page<>(List.copyOf(all), false, to);
    }

    public TxnResponse txn(Txn txn) {
        return await(txnAsync(txn));
    }

    /** Waits up to {@code timeout} for the first matching change from {@code fromRev}; null when none came. */
    public Event waitFor(String glob, long fromRev, Duration timeout) {
        CompletableFuture<Event> f = waitAsync(glob, fromRev);
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            return null;
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted");
        }
    }

    @Override
    public void close() {
        CompletableFuture<Connection> c;
        synchronized (this) {
            closed = true;
            c = current;
        }
        if (c != null && c.isDone() && !c.isCompletedExceptionally()) {
            c.join().close();
        }
        if (writeRoute != null) {
            writeRoute.close();
        }
        transport.close();
        listeners.shutdown();
    }

    boolean isClosed() {
        return closed;
    }
}
