package io.cairn.node.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.node.server.KvService;
import io.cairn.node.testing.FuzzReplica;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Fuzz target: the HTTP gateway's own handlers ({@link HttpGateway#handlers}: Netty's codec, the
 * body limit, the gateway) over an in-process channel, in front of a real replica. A request is
 * one well-delimited HTTP/1.1 message (so exactly one answer is due) whose method, target,
 * headers and body are anything; the target leans on the gateway's routes and parameters.
 *
 * <p>Checked: every request is answered before the connection closes; nothing is a 500 (an
 * internal error is an exception the gateway did not expect); every error (4xx, 5xx) says
 * {@code {"error": CODE, "detail": ...}} in JSON; and only a successful PUT, POST or DELETE of
 * /v1/kv moves the revision, by one.
 */
public class HttpGatewayFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS", "GET"};
    private static final String[] PIECES = {"/v1/kv", "/v1/ls", "/v1/walk", "/v1/watch", "/v1/rev", "/v1/status", "/healthz",
        "/readyz", "/metrics", "/", "/a", "/b", "/ctl", "/..", "/.", "?", "&", "=", "rev=", "glob=", "from=", "offset=",
        "limit=", "session=", "serializable", "%", "%2F", "%zz", "%e9", "*", "**", "-1", "0", "7", "99999999999999999999",
        "x", ";", "#", " "};
    private static final Object LOCK = new Object();
    private static LocalAddress address;
    private static EventLoopGroup group;

    @FuzzTest
    void requests(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        LocalAddress at = server();
        String method = data.consumeBoolean() ? data.pickValue(METHODS) : token(data.consumeString(8));
        StringBuilder target = new StringBuilder();
        int pieces = data.consumeInt(0, 10);
        for (int i = 0; i < pieces; i++) {
            target.append(data.consumeBoolean() ? data.pickValue(PIECES) : line(data.consumeString(6)));
        }
        if (target.length() == 0) {
            target.append('/');
        }
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.writeBytes((method + " " + target + " HTTP/1.1\r\nHost: fuzz\r\n").getBytes(StandardCharsets.UTF_8));
        int headers = data.consumeInt(0, 3);
        for (int i = 0; i < headers; i++) {
            String name = data.consumeBoolean() ? data.pickValue(new String[] {"Accept", "Last-Event-ID", "Connection", "Expect"})
                    : token(data.consumeString(10));
            req.writeBytes((name + ": " + line(data.consumeString(12)) + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] body = data.consumeBytes(data.consumeInt(0, FuzzReplica.MAX_VALUE + 200));
        req.writeBytes(("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        req.writeBytes(body);

        FuzzReplica.keepSmall();
        long revBefore = FuzzReplica.rev();
        LinkedBlockingQueue<Object> got = new LinkedBlockingQueue<>();
        Channel ch = new Bootstrap().group(group).channel(LocalChannel.class).handler(new ChannelInitializer<LocalChannel>() {
            @Override
            protected void initChannel(LocalChannel c) {
                c.pipeline().addLast(new HttpResponseDecoder()).addLast(new SimpleChannelInboundHandler<HttpObject>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                        if (msg instanceof HttpContent content) {
                            got.add(content.content().toString(StandardCharsets.UTF_8));
                            if (msg instanceof LastHttpContent) {
                                got.add(LastHttpContent.EMPTY_LAST_CONTENT);
                            }
                        }
                        if (msg instanceof HttpResponse r) {
                            got.add(r);
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        got.add("closed");
                    }
                });
            }
        }).connect(at).syncUninterruptibly().channel();
        try {
            ch.writeAndFlush(Unpooled.wrappedBuffer(req.toByteArray()));
            Object first = next(got);
            if (!(first instanceof HttpResponse head)) {
                throw new AssertionError(method + " " + target + ": the connection " + first + " without an answer");
            }
            int status = head.status().code();
            if (status == 500) {
                throw new AssertionError(method + " " + target + ": internal error");
            }
            String type = head.headers().get("Content-Type", "");
            boolean streaming = type.startsWith("text/event-stream");
            if (status >= 400 && !method.equals("HEAD")) {
                StringBuilder text = new StringBuilder();
                for (Object o = next(got); o != LastHttpContent.EMPTY_LAST_CONTENT; o = next(got)) {
                    if (o instanceof String s && !s.equals("closed")) {
                        text.append(s);
                    } else {
                        throw new AssertionError(method + " " + target + ": the error body ended early (" + o + ")");
                    }
                }
                JsonNode err;
                try {
                    err = JSON.readTree(text.toString());
                } catch (java.io.IOException e) {
                    throw new AssertionError(method + " " + target + ": " + status + " with a body that is not JSON: " + text);
                }
                if (err == null || !err.hasNonNull("error") || !err.hasNonNull("detail")) {
                    throw new AssertionError(method + " " + target + ": " + status + " without error and detail: " + text);
                }
            } else if (!streaming && !method.equals("HEAD")) {
                for (Object o = next(got); o != LastHttpContent.EMPTY_LAST_CONTENT; o = next(got)) {
                    if (!(o instanceof String) || o.equals("closed")) {
                        throw new AssertionError(method + " " + target + ": the answer's body ended early");
                    }
                }
            }
            long revAfter = FuzzReplica.rev();
            boolean write = status / 100 == 2 && isKvRoute(target.toString())
                    && (method.equals("PUT") || method.equals("POST") || method.equals("DELETE"));
            if (revAfter - revBefore > (write ? 1 : 0)) {
                throw new AssertionError(method + " " + target + " answered " + status + " and moved the revision from "
                        + revBefore + " to " + revAfter);
            }
        } finally {
            ch.close().syncUninterruptibly();
        }
    }

    /** Whether the server reads this target as /v1/kv: its first word, decoded (spaces before it are skipped). */
    private static boolean isKvRoute(String target) {
        String uri = target.strip().split(" ", 2)[0];
        try {
            String path = new io.netty.handler.codec.http.QueryStringDecoder(uri).path();
            return path.equals("/v1/kv") || path.startsWith("/v1/kv/");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Object next(LinkedBlockingQueue<Object> q) {
        try {
            Object o = q.poll(20, TimeUnit.SECONDS);
            if (o == null) {
                throw new AssertionError("no answer within 20 s");
            }
            return o;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /** A header name or method: no separators, so the request stays one message. */
    private static String token(String s) {
        String t = s.replaceAll("[^!#$%&'*+.^_`|~0-9A-Za-z-]", "");
        return t.isEmpty() ? "X" : t;
    }

    /** Text that stays on its line: no CR or LF, which would end the request early. */
    private static String line(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }

    private static LocalAddress server() {
        synchronized (LOCK) {
            if (address == null) {
                KvService kv = FuzzReplica.get();
                group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
                LocalAddress a = new LocalAddress("cairn-http-fuzz");
                new ServerBootstrap().group(group).channel(LocalServerChannel.class).childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel c) {
                        HttpGateway.handlers(c.pipeline(), kv, FuzzReplica.MAX_VALUE + 64, () -> true,
                                () -> CompletableFuture.completedFuture(Map.<String, Object>of("member", 1)),
                                () -> CompletableFuture.completedFuture("# metrics\n"), false, io.cairn.node.auth.Authenticator.off());
                    }
                }).bind(a).syncUninterruptibly();
                address = a;
            }
            return address;
        }
    }
}
