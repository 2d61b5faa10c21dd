package io.cairn.operator;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * Serves the injection webhook at {@code POST /mutate} over TLS: with a certificate given as
 * files (tls.crt and tls.key in a directory, e.g. from cert-manager), or with the one the
 * operator makes and renews itself (a {@link ReloadingKeyManager}); over plain HTTP when it has
 * neither (tests).
 */
public final class WebhookServer implements AutoCloseable {
    private final HttpServer server;

    public WebhookServer(InetSocketAddress addr, Path certDir, SidecarInjector injector) throws IOException, GeneralSecurityException {
        this(addr, certDir != null && Files.exists(certDir.resolve("tls.crt"))
                ? sslContext(certDir.resolve("tls.crt"), certDir.resolve("tls.key")) : null, injector);
    }

    /** Serves with whatever certificate {@code keys} holds at each handshake. */
    WebhookServer(InetSocketAddress addr, ReloadingKeyManager keys, SidecarInjector injector) throws IOException, GeneralSecurityException {
        this(addr, contextFor(keys), injector);
    }

    private static SSLContext contextFor(ReloadingKeyManager keys) throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new javax.net.ssl.KeyManager[] {keys}, null, null);
        return ctx;
    }

    private WebhookServer(InetSocketAddress addr, SSLContext tls, SidecarInjector injector) throws IOException {
        try {
            if (tls != null) {
                HttpsServer https = HttpsServer.create(addr, 64);
                https.setHttpsConfigurator(new HttpsConfigurator(tls));
                server = https;
            } else {
                server = HttpServer.create(addr, 64);
            }
        } catch (IOException e) {
            throw new IOException("cannot listen on port " + addr.getPort() + " (CAIRN_WEBHOOK_PORT): " + e.getMessage(), e);
        }
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/mutate", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            byte[] answer = injector.review(new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, answer.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(answer);
            }
        });
        server.createContext("/healthz", ex -> {
            ex.sendResponseHeaders(200, 3);
            try (OutputStream out = ex.getResponseBody()) {
                out.write("ok\n".getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** A TLS context from PEM files: the certificate chain and a PKCS#8, PKCS#1 (RSA) or SEC 1 (EC) key. */
    static SSLContext sslContext(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
        ReloadingKeyManager keys = new ReloadingKeyManager();
        keys.use(Files.readString(certFile, StandardCharsets.US_ASCII), Files.readString(keyFile, StandardCharsets.US_ASCII));
        return contextFor(keys);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
