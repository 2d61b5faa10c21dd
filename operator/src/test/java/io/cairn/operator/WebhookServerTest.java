package io.cairn.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhookServerTest {
    @TempDir
    Path dir;

    private static int run(Path dir, String... cmd) throws Exception {
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start().waitFor();
    }

    @Test
    void servesAdmissionReviewsOverTlsWithAnRsaPkcs1Key() throws Exception {
        // Helm's genSignedCert writes an RSA key in PKCS#1 form; openssl can make the same.
        boolean haveOpenssl;
        try {
            haveOpenssl = run(dir, "openssl", "genrsa", "-traditional", "-out", "tls.key", "2048") == 0
                    && run(dir, "openssl", "req", "-new", "-x509", "-key", "tls.key", "-out", "tls.crt", "-days", "1",
                    "-subj", "/CN=localhost") == 0;
        } catch (java.io.IOException e) {
            haveOpenssl = false;
        }
        assumeTrue(haveOpenssl, "openssl is needed to make a test certificate");
        try (WebhookServer server = new WebhookServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), dir,
                new SidecarInjector("sidecar:test"))) {
            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] c, String a) {}

                @Override
                public void checkServerTrusted(X509Certificate[] c, String a) {}

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            HttpClient http = HttpClient.newBuilder().sslContext(trustAll).build();
            String review = SidecarInjectorTest.review("{\"cairn.io/inject\":\"true\",\"cairn.io/cluster\":\"c\",\"cairn.io/watch\":\"/config/web\"}");
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + server.address().getPort() + "/mutate"))
                    .POST(HttpRequest.BodyPublishers.ofString(review)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"allowed\":true").contains("\"patchType\":\"JSONPatch\"");
        }
    }

    @Test
    void aBusyPortIsNamedWithItsSetting() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WebhookServer(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), busy.getLocalPort()), (Path) null,
                    new SidecarInjector("sidecar:test"))).isInstanceOf(java.io.IOException.class)
                    .hasMessage("cannot listen on port " + busy.getLocalPort() + " (CAIRN_WEBHOOK_PORT): Address already in use");
        }
    }
}
