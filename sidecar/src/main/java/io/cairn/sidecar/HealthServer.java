package io.cairn.sidecar;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/** /healthz (always answers while alive, with status), /readyz (after the first publication), /metrics. */
final class HealthServer implements AutoCloseable {
    private final HttpServer server;

    HealthServer(InetSocketAddress addr, Sidecar sidecar) throws IOException {
        server = HttpServer.create(addr, 16);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cairn-sidecar-health");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/healthz", ex -> send(ex, 200, "application/json", sidecar.health() + "\n"));
        server.createContext("/readyz", ex -> send(ex, sidecar.ready() ? 200 : 503, "text/plain",
                sidecar.ready() ? "ready\n" : "not ready: no config published yet\n"));
        server.createContext("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", sidecar.metrics.scrape()));
        server.start();
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
