package io.cairn.node.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.cairn.net.Causes;
import io.cairn.node.acl.Grants;
import io.cairn.node.acl.Identity;
import io.cairn.node.acl.Right;
import io.cairn.node.auth.Authenticator;
import io.cairn.node.server.Access;
import io.cairn.node.server.KvService;
import io.cairn.node.server.Reads;
import io.cairn.node.server.WatchHandle;
import io.cairn.node.server.WatchSink;
import io.cairn.node.rollout.RolloutStatus;
import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.Err;
import io.cairn.node.store.Event;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.Glob;
import io.cairn.node.store.Page;
import io.cairn.node.store.Paths;
import io.cairn.node.store.Revs;
import io.cairn.node.store.StoreException;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes of the gateway:
 * <pre>
 * GET    /v1/kv/PATH[?rev=N]        {"path","rev","value"} (value_base64 when not UTF-8)
 * PUT    /v1/kv/PATH[?rev=N]        body is the value; rev is the expected rev (default -1)
 * DELETE /v1/kv/PATH[?rev=N]
 * GET    /v1/rev                    {"rev","oldest"}
 * GET    /v1/ls/PATH[?rev&offset&limit]
 * GET    /v1/walk?glob=G[&rev&offset&limit]
 * GET    /v1/watch?glob=G[&from=N]  Server-Sent Events, one per change
 * GET    /v1/history/PATH[?offset&limit]        every kept version of a file: {"rev","size","deleted"}
 * GET    /v1/diff/PREFIX?from=R1[&to=R2&offset&limit]   files added, changed, deleted from R1 to R2
 * GET    /v1/rollout/PREFIX[?rev=R]                       which pods (from their presence) run the config under PREFIX
 * GET    /v1/members                every member, each asked for its status: role, ballot, applied slot, lag, reachable
 * GET    /ui/                       the web console (and / for a browser)
 * GET    /healthz, /readyz
 * </pre>
 */
final class HttpGatewayHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpGatewayHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_PAGE = 1000;
    private static final int MAX_PAGE = 10_000;

    private final KvService kv;
    private final BooleanSupplier ready;
    private final Supplier<CompletableFuture<Map<String, Object>>> status;
    private final Supplier<CompletableFuture<String>> metrics;
    private final boolean requireClientCert;
    private final Authenticator auth;
    private final Access access;
    private WatchHandle watch;
    private ScheduledFuture<?> keepAlive;

    HttpGatewayHandler(KvService kv, BooleanSupplier ready, Supplier<CompletableFuture<Map<String, Object>>> status,
            Supplier<CompletableFuture<String>> metrics, boolean requireClientCert, Authenticator auth) {
        this.kv = kv;
        this.ready = ready;
        this.status = status;
        this.metrics = metrics;
        this.requireClientCert = requireClientCert;
        this.auth = auth;
        this.access = new Access(auth);
    }

    /** A bearer token that does not prove who it claims: 401, with the reason. */
    private static final class Unauthenticated extends RuntimeException {
        Unauthenticated(String why) {
            super(why);
        }
    }

    /** Who the request comes from: its bearer token, else its TLS certificate, else anonymous. */
    private Identity identity(ChannelHandlerContext ctx, FullHttpRequest req) {
        String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && !auth.ignoresTokens()) {
            if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new Unauthenticated("the Authorization header must be \"Bearer TOKEN\"");
            }
            try {
                return auth.fromToken(authorization.substring(7));
            } catch (IllegalArgumentException e) {
                throw new Unauthenticated("bearer token refused: " + e.getMessage());
            }
        }
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls != null) {
            try {
                return auth.fromCertificates(tls.engine().getSession().getPeerCertificates());
            } catch (SSLPeerUnverifiedException none) {
                return Identity.ANONYMOUS;
            }
        }
        return Identity.ANONYMOUS;
    }

    /** Whether the TLS peer showed a certificate the CAs vouch for (the handshake checked the chain). */
    private static boolean clientCertified(ChannelHandlerContext ctx) {
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls == null) {
            return false;
        }
        try {
            return tls.engine().getSession().getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepOpen = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            Throwable why = req.decoderResult().cause();
            if (why instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
                send(ctx, false, errorResponse(HttpResponseStatus.REQUEST_URI_TOO_LONG, Err.TOO_LARGE,
                        "the request line is longer than " + HttpGateway.MAX_LINE + " bytes"));
            } else if (why instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
                send(ctx, false, errorResponse(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, Err.TOO_LARGE,
                        "the headers are longer than " + HttpGateway.MAX_HEADERS + " bytes"));
            } else {
                send(ctx, false, errorResponse(HttpResponseStatus.BAD_REQUEST, Err.INVALID, "malformed HTTP request"));
            }
            return;
        }
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        try {
            String route = q.path();
            if (route.equals("/healthz")) {
                send(ctx, keepOpen, text(HttpResponseStatus.OK, "ok\n"));
            } else if (route.equals("/readyz")) {
                boolean r = ready.getAsBoolean();
                send(ctx, keepOpen, text(r ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        r ? "ready\n" : "not ready\n"));
            } else if (route.equals("/metrics")) {
                requireMethod(req, HttpMethod.GET);
                metrics.get().whenComplete((text, e) -> ctx.executor().execute(() -> {
                    if (e != null) {
                        send(ctx, keepOpen, errorResponse(unwrap(e)));
                        return;
                    }
                    FullHttpResponse r = text(HttpResponseStatus.OK, text);
                    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    send(ctx, keepOpen, r);
                }));
            } else if (requireClientCert && !clientCertified(ctx)) {
                send(ctx, false, errorResponse(HttpResponseStatus.FORBIDDEN, Err.PERMISSION_DENIED,
                        "this member requires a client certificate (only /healthz, /readyz and /metrics are open)"));
                return;
            }
            if (route.equals("/healthz") || route.equals("/readyz") || route.equals("/metrics")) {
                return;
            }
            if (route.equals("/ui") || route.startsWith("/ui/") || route.equals("/") && wantsHtml(req)) {
                requireMethod(req, HttpMethod.GET);
                ConsoleAssets.Asset asset = route.startsWith("/ui/") ? ConsoleAssets.get(route.substring("/ui/".length())) : null;
                if (asset == null && !route.startsWith("/ui/")) {
                    FullHttpResponse moved = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FOUND);
                    moved.headers().set(HttpHeaderNames.LOCATION, "/ui/").setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                    send(ctx, keepOpen, moved);
                } else if (asset == null) {
                    send(ctx, keepOpen, errorResponse(HttpResponseStatus.NOT_FOUND, Err.NOENT, "no such file in the console: " + route));
                } else {
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.wrappedBuffer(asset.body()));
                    r.headers().set(HttpHeaderNames.CONTENT_TYPE, asset.contentType())
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, asset.body().length)
                            .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
                    send(ctx, keepOpen, r);
                }
                return;
            }
            Identity who = identity(ctx, req);
            if (route.equals("/v1/whoami")) {
                requireMethod(req, HttpMethod.GET);
                // The identity, and whether this member enforces a policy (the console offers editing by it).
                String w = who.toJson();
                send(ctx, keepOpen, json(HttpResponseStatus.OK, w.substring(0, w.length() - 1) + ",\"enforcing\":" + auth.enforcing() + "}"));
            } else if (route.equals("/v1/members")) {
                requireMethod(req, HttpMethod.GET);
                boolean ask = ctx.pipeline().get(SslHandler.class) == null;
                answer(ctx, keepOpen, kv.memberList().thenCompose(list -> MemberStatuses.of(list, ask)));
            } else if (route.equals("/v1/status")) {
                requireMethod(req, HttpMethod.GET);
                answer(ctx, keepOpen, status.get().thenApply(JSON::valueToTree));
            } else if (route.equals("/v1/rev")) {
                requireMethod(req, HttpMethod.GET);
                answer(ctx, keepOpen, kv.read(t -> {
                    ObjectNode o = JSON.createObjectNode();
                    o.put("rev", t.rev());
                    o.put("oldest", t.oldestRev());
                    return o;
                }));
            } else if (route.equals("/v1/kv") || route.startsWith("/v1/kv/")) {
                kvRoute(ctx, keepOpen, req, q, route.substring("/v1/kv".length()), who);
            } else if (route.equals("/v1/ls") || route.startsWith("/v1/ls/")) {
                requireMethod(req, HttpMethod.GET);
                String path = route.length() <= "/v1/ls/".length() ? "/" : route.substring("/v1/ls".length());
                long rev = longParam(q, "rev", 0);
                int offset = Reads.offset(longParam(q, "offset", 0));
                int limit = pageParam(q);
                boolean serializable = serializable(q);
                answer(ctx, keepOpen, kv.read(t -> {
                    Grants g = access.reach(t, who, path, Right.READ);
                    Reads.Listing<String> listing = Reads.names(t, path, rev, offset, limit, Reads.visibleNames(g, path));
                    Page<String> page = listing.page();
                    ObjectNode o = JSON.createObjectNode();
                    o.put("path", path);
                    o.put("rev", listing.rev());
                    ArrayNode names = o.putArray("names");
                    page.items().forEach(names::add);
                    o.put("more", page.more());
                    return o;
                }, serializable));
            } else if (route.equals("/v1/walk")) {
                requireMethod(req, HttpMethod.GET);
                Glob glob = Glob.compile(stringParam(q, "glob"));
                long rev = longParam(q, "rev", 0);
                int offset = Reads.offset(longParam(q, "offset", 0));
                int limit = pageParam(q);
                answer(ctx, keepOpen, kv.read(t -> {
                    Grants g = access.reach(t, who, glob.literalPrefix(), Right.READ);
                    Reads.Listing<FileEntry> listing = Reads.files(t, glob, rev, offset, limit, Reads.visible(g, Right.READ));
                    Page<FileEntry> page = listing.page();
                    ObjectNode o = JSON.createObjectNode();
                    o.put("rev", listing.rev());
                    ArrayNode files = o.putArray("files");
                    page.items().forEach(f -> files.add(fileJson(f.path(), f.value(), f.rev())));
                    o.put("more", page.more());
                    return o;
                }, serializable(q)));
            } else if (route.startsWith("/v1/history/")) {
                requireMethod(req, HttpMethod.GET);
                String path = route.substring("/v1/history".length());
                int offset = Reads.offset(longParam(q, "offset", 0));
                int limit = pageParam(q);
                answer(ctx, keepOpen, kv.read(t -> {
                    access.check(t, who, path, Right.READ);
                    Reads.Listing<Event> listing = Reads.history(t, path, offset, limit);
                    ObjectNode o = JSON.createObjectNode();
                    o.put("path", path);
                    o.put("rev", listing.rev());
                    o.put("oldest_rev", t.oldestRev());
                    ArrayNode versions = o.putArray("versions");
                    for (Event e : listing.page().items()) {
                        ObjectNode v = versions.addObject().put("rev", e.rev()).put("size", e.deleted() ? 0 : e.value().length)
                                .put("deleted", e.deleted());
                        audit(v, e);
                    }
                    o.put("more", listing.page().more());
                    return o;
                }, serializable(q)));
            } else if (route.equals("/v1/diff") || route.startsWith("/v1/diff/")) {
                requireMethod(req, HttpMethod.GET);
                String prefix = route.length() <= "/v1/diff/".length() ? "/" : route.substring("/v1/diff".length());
                long from = longParam(q, "from", 0);
                long to = longParam(q, "to", 0);
                int offset = Reads.offset(longParam(q, "offset", 0));
                int limit = pageParam(q);
                answer(ctx, keepOpen, kv.read(t -> {
                    Grants g = access.reach(t, who, prefix, Right.READ);
                    Reads.Listing<Reads.Change> listing = Reads.diff(t, prefix, from, to, offset, limit, Reads.visible(g, Right.READ));
                    ObjectNode o = JSON.createObjectNode();
                    o.put("prefix", prefix);
                    o.put("from", from);
                    o.put("to", listing.rev());
                    ArrayNode changes = o.putArray("changes");
                    for (Reads.Change c : listing.page().items()) {
                        ObjectNode one = changes.addObject();
                        one.put("path", c.path());
                        one.put("change", c.before() == null ? "added" : c.after() == null ? "deleted" : "changed");
                        if (c.before() != null) {
                            one.set("before", fileJson(c.path(), c.before().value(), c.before().rev()));
                        }
                        if (c.after() != null) {
                            one.set("after", fileJson(c.path(), c.after().value(), c.after().rev()));
                        }
                    }
                    o.put("more", listing.page().more());
                    return o;
                }, serializable(q)));
            } else if (route.startsWith("/v1/rollout/")) {
                requireMethod(req, HttpMethod.GET);
                String prefix = Paths.check(route.substring("/v1/rollout".length()));
                long wanted = longParam(q, "rev", 0);
                answer(ctx, keepOpen, kv.read(t -> {
                    Grants g = access.reach(t, who, prefix, Right.READ);
                    Grants p = access.reach(t, who, RolloutStatus.PRESENCE, Right.READ);
                    List<FileEntry> files = t.walk(Glob.compile(prefix.equals("/") ? "/**" : prefix + "/**"), 0, 0, Integer.MAX_VALUE,
                            Reads.visible(g, Right.READ)).items();
                    List<FileEntry> presences = t.walk(Glob.compile(RolloutStatus.PRESENCE + "/**"), 0, 0, Integer.MAX_VALUE,
                            Reads.visible(p, Right.READ)).items();
                    return RolloutStatus.of(prefix, wanted, files, presences, t.rev()).toJson();
                }, serializable(q)));
            } else if (route.equals("/v1/watch")) {
                requireMethod(req, HttpMethod.GET);
                Glob glob = Glob.compile(stringParam(q, "glob"));
                long from = longParam(q, "from", 0);
                String lastId = req.headers().get("Last-Event-ID");
                if (lastId != null) {
                    from = parseLong("Last-Event-ID", lastId) + 1;
                }
                // The policy this member last applied: the watch's gate (see Access).
                Grants grants = auth.enforcing() ? kv.policy().grantsFor(who) : null;
                if (grants != null) {
                    grants.checkReach(glob.literalPrefix(), Right.WATCH);
                }
                startWatch(ctx, glob, Reads.watchFrom(from), grants == null ? null : who);
            } else {
                send(ctx, keepOpen, errorResponse(HttpResponseStatus.NOT_FOUND, Err.NOENT, "no route " + route
                        + " (try /v1/kv/PATH, /v1/ls/PATH, /v1/walk, /v1/watch, /v1/history/PATH, /v1/diff/PREFIX, /v1/rollout/PREFIX, /v1/members, /v1/rev, /ui/,"
                        + " /v1/whoami, /healthz, /readyz)"));
            }
        } catch (Unauthenticated e) {
            FullHttpResponse r = errorResponse(HttpResponseStatus.UNAUTHORIZED, Err.PERMISSION_DENIED, e.getMessage());
            r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            send(ctx, keepOpen, r);
        } catch (StoreException e) {
            send(ctx, keepOpen, errorResponse(e));
        } catch (MethodNotAllowed e) {
            send(ctx, keepOpen, errorResponse(HttpResponseStatus.METHOD_NOT_ALLOWED, Err.INVALID, e.getMessage()));
        } catch (IllegalArgumentException e) {
            // A bad percent-escape, in the path or (decoded only when read) a parameter: found by
            // HttpGatewayFuzzTest, "%/readyz" closed the connection unanswered.
            send(ctx, keepOpen, errorResponse(HttpResponseStatus.BAD_REQUEST, Err.INVALID, "bad request target: " + e.getMessage()));
        }
    }

    private void kvRoute(ChannelHandlerContext ctx, boolean keepOpen, FullHttpRequest req, QueryStringDecoder q, String path,
            Identity who) {
        if (path.isEmpty()) {
            path = "/";
        }
        String p = path;
        HttpMethod m = req.method();
        if (m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD)) {
            long rev = longParam(q, "rev", 0);
            answer(ctx, keepOpen, kv.read(t -> {
                access.check(t, who, p, Right.READ);
                FileEntry f = t.get(p, rev);
                if (f.rev() == Revs.MISSING) {
                    throw new StoreException(Err.NOENT, "no such file: " + p);
                }
                if (f.rev() == Revs.DIR) {
                    ObjectNode o = JSON.createObjectNode();
                    o.put("path", p);
                    o.put("rev", Revs.DIR);
                    o.put("dir", true);
                    return o;
                }
                return fileJson(p, f.value(), f.rev());
            }, serializable(q)));
        } else if (m.equals(HttpMethod.PUT) || m.equals(HttpMethod.POST)) {
            long rev = longParam(q, "rev", Revs.CLOBBER);
            byte[] value = ByteBufUtil.getBytes(req.content());
            write(ctx, keepOpen, Op.newBuilder().setKind(Op.Kind.SET).setPath(p).setValue(ByteString.copyFrom(value)).setRev(rev)
                    .setSession(longParam(q, "session", 0)).build(), who);
        } else if (m.equals(HttpMethod.DELETE)) {
            long rev = longParam(q, "rev", Revs.CLOBBER);
            write(ctx, keepOpen, Op.newBuilder().setKind(Op.Kind.DEL).setPath(p).setRev(rev)
                    .setSession(longParam(q, "session", 0)).build(), who);
        } else {
            throw new MethodNotAllowed(m + " is not allowed on /v1/kv (use GET, PUT or DELETE)");
        }
    }

    /** Proposes a write as {@code who}, checked where it lands in the log when the policy is enforced. */
    private void write(ChannelHandlerContext ctx, boolean keepOpen, Op op, Identity who) {
        CompletableFuture<ApplyResult> f = kv.write(access.stamp(Command.newBuilder().setTxn(Txn.newBuilder().addSuccess(op)), who).build());
        answer(ctx, keepOpen, f.thenApply(r -> {
            if (!r.ok()) {
                throw r.error();
            }
            ObjectNode o = JSON.createObjectNode();
            o.put("path", op.getPath());
            o.put("rev", r.rev());
            return o;
        }));
    }

    /** Who made a change and when, on its JSON, when known. */
    private static void audit(ObjectNode o, Event e) {
        if (e.author() != null) {
            o.put("author", e.author());
        }
        if (e.timeMs() != 0) {
            o.put("time", java.time.Instant.ofEpochMilli(e.timeMs()).toString());
        }
    }

    /** Streams the changes matching {@code glob}; with {@code reader}, only those it may watch under the policy as it is then. */
    private void startWatch(ChannelHandlerContext ctx, Glob glob, long from, Identity reader) {
        // Check the window first, so a compacted start is a plain 410 rather than a broken stream.
        CompletableFuture<Object> check = kv.read(t -> {
            Reads.checkWatchable(t, glob, from);
            return null;
        });
        check.whenComplete((ok, failure) -> ctx.executor().execute(() -> {
            if (failure != null) {
                send(ctx, false, errorResponse(unwrap(failure)));
                return;
            }
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            ctx.writeAndFlush(head);
            keepAlive = ctx.executor().scheduleAtFixedRate(
                    () -> ctx.writeAndFlush(chunk(": keep-alive\n\n")), 15, 15, TimeUnit.SECONDS);
            watch = kv.watch(glob, from, false, new WatchSink() {
                @Override
                public boolean deliver(List<Event> events) {
                    if (!ctx.channel().isActive()) {
                        return false;
                    }
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < events.size(); i++) {
                        Event e = events.get(i);
                        ObjectNode o = e.deleted() ? JSON.createObjectNode() : fileJson(e.path(), e.value(), e.rev());
                        if (e.deleted()) {
                            o.put("path", e.path());
                            o.put("rev", e.rev());
                        }
                        audit(o, e);
                        // The id goes on the last event of a revision, so Last-Event-ID resumes after whole revisions.
                        if (i == events.size() - 1) {
                            sb.append("id: ").append(e.rev()).append('\n');
                        }
                        sb.append("event: ").append(e.deleted() ? "del" : "set").append('\n');
                        sb.append("data: ").append(o).append("\n\n");
                    }
                    ctx.writeAndFlush(chunk(sb.toString()));
                    return true;
                }

                @Override
                public boolean accepts(String path) {
                    return access.watchable(kv, reader, path);
                }

                @Override
                public void end(StoreException error) {
                    if (error != null) {
                        ObjectNode o = JSON.createObjectNode();
                        o.put("error", error.code().name());
                        o.put("detail", error.getMessage());
                        ctx.writeAndFlush(chunk("event: error\ndata: " + o + "\n\n")).addListener(ChannelFutureListener.CLOSE);
                    }
                }
            });
        }));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (watch != null) {
            watch.cancel();
        }
        if (keepAlive != null) {
            keepAlive.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("http client {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private static DefaultHttpContent chunk(String s) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    static ObjectNode fileJson(String path, byte[] value, long rev) {
        ObjectNode o = JSON.createObjectNode();
        o.put("path", path);
        o.put("rev", rev);
        String text = utf8OrNull(value);
        if (text != null) {
            o.put("value", text);
        } else {
            o.put("value_base64", Base64.getEncoder().encodeToString(value));
        }
        return o;
    }

    private static String utf8OrNull(byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private void answer(ChannelHandlerContext ctx, boolean keepOpen, CompletableFuture<? extends Object> result) {
        result.whenComplete((body, failure) -> ctx.executor().execute(() -> {
            if (failure != null) {
                StoreException se = unwrap(failure);
                send(ctx, keepOpen, errorResponse(se));
            } else {
                send(ctx, keepOpen, json(HttpResponseStatus.OK, body.toString()));
            }
        }));
    }

    private static StoreException unwrap(Throwable failure) {
        Throwable c = Causes.unwrapped(failure);
        if (c instanceof StoreException se) {
            return se;
        }
        log.warn("http request failed: {}", c.toString());
        return new StoreException(Err.OTHER, "internal error: " + c);
    }

    private static FullHttpResponse errorResponse(StoreException e) {
        FullHttpResponse r = errorResponse(HttpErrors.status(e.code()), e.code(), e.getMessage());
        return r;
    }

    static FullHttpResponse errorResponse(HttpResponseStatus status, Err code, String detail) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", code.name());
        o.put("detail", detail);
        return json(status, o.toString());
    }

    /** A browser asking for the root: it gets the console. */
    private static boolean wantsHtml(FullHttpRequest req) {
        String accept = req.headers().get(HttpHeaderNames.ACCEPT);
        return accept != null && accept.contains("text/html");
    }

    private static FullHttpResponse json(HttpResponseStatus status, String body) {
        ByteBuf buf = Unpooled.copiedBuffer(body + "\n", StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, buf.readableBytes());
        return r;
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        ByteBuf buf = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, buf.readableBytes());
        return r;
    }

    private static void send(ChannelHandlerContext ctx, boolean keepOpen, FullHttpResponse r) {
        if (keepOpen) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(r);
        } else {
            // Said in the response too: an HTTP/1.1 client otherwise pools the connection we are
            // closing and its next request fails (HttpGatewayTest hit this after a 410 watch).
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static final class MethodNotAllowed extends RuntimeException {
        MethodNotAllowed(String message) {
            super(message, null, false, false);
        }
    }

    private static void requireMethod(FullHttpRequest req, HttpMethod m) {
        if (!req.method().equals(m) && !(m.equals(HttpMethod.GET) && req.method().equals(HttpMethod.HEAD))) {
            throw new MethodNotAllowed(req.method() + " is not allowed here (use " + m + ")");
        }
    }

    private static String stringParam(QueryStringDecoder q, String name) {
        List<String> v = q.parameters().get(name);
        if (v == null || v.isEmpty() || v.get(0).isEmpty()) {
            throw new StoreException(Err.MISSING_ARG, "query parameter " + name + " is required");
        }
        return v.get(0);
    }

    private static long longParam(QueryStringDecoder q, String name, long dflt) {
        List<String> v = q.parameters().get(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        return parseLong(name, v.get(0));
    }

    private static long parseLong(String name, String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new StoreException(Err.INVALID, name + " must be an integer, got \"" + s + "\"");
        }
    }

    private static boolean serializable(QueryStringDecoder q) {
        List<String> v = q.parameters().get("serializable");
        if (v == null || v.isEmpty()) {
            List<String> c = q.parameters().get("consistency");
            return c != null && !c.isEmpty() && c.get(0).equals("serializable");
        }
        return v.get(0).isEmpty() || v.get(0).equals("true") || v.get(0).equals("1");
    }

    private static int pageParam(QueryStringDecoder q) {
        return Reads.pageLimit(longParam(q, "limit", DEFAULT_PAGE), MAX_PAGE);
    }
}
