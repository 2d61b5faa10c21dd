package io.cairn.node.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.node.acl.Identity;
import io.cairn.node.testing.TestCerts;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticatorTest {
    @TempDir
    Path dir;

    private static Certificate[] chain(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).toArray(Certificate[]::new);
        }
    }

    @Test
    void aCertificateNamesItsUriSanElseItsCommonNameAndItsOrganisationsAreGroups() throws Exception {
        TestCerts ca = TestCerts.newCa("acl-ca");
        Authenticator auth = new Authenticator(new AuthConfig(true, List.of("ops-*"), null, null, null, null, null, null));
        Identity plain = auth.fromCertificates(chain(ca.leaf("alice", "CN=alice,O=developers,O=oncall", null, "clientAuth")[0]));
        assertThat(plain.name()).isEqualTo("alice");
        assertThat(plain.groups()).contains("developers", "oncall", Identity.AUTHENTICATED).doesNotContain(Identity.ADMINS);
        assertThat(plain.expiresAtMs()).isGreaterThan(System.currentTimeMillis());
        Identity spiffe = auth.fromCertificates(chain(ca.leaf("svc", "uri:spiffe://cluster.local/ns/shop/sa/web", "clientAuth")[0]));
        assertThat(spiffe.name()).isEqualTo("spiffe://cluster.local/ns/shop/sa/web");
        assertThat(auth.fromCertificates(chain(ca.leaf("ops-jane", null, "clientAuth")[0])).admin()).isTrue();
        assertThat(auth.fromCertificates(null)).isEqualTo(Identity.ANONYMOUS);
    }

    @Test
    void theTokenFileIsReadAgainWhenItChangesAndABadLineIsNamed() throws Exception {
        Path tokens = dir.resolve("tokens.csv");
        Files.writeString(tokens, "t1,alice,1,\"ops,dev\"\n");
        Authenticator auth = new Authenticator(new AuthConfig(true, List.of("alice"), tokens, null, null, null, null, null));
        Identity alice = auth.fromToken(" t1\n");
        assertThat(alice.name()).isEqualTo("alice");
        assertThat(alice.groups()).contains("ops", "dev", Identity.ADMINS);
        Files.writeString(tokens, "t2,bob\n");
        Files.setLastModifiedTime(tokens, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertThat(auth.fromToken("t2").name()).isEqualTo("bob");
        assertThatThrownBy(() -> auth.fromToken("t1")).hasMessage("unknown token");
        assertThatThrownBy(() -> auth.fromToken("a.b.c")).hasMessageContaining("the member has no --auth-jwks");
        Files.writeString(dir.resolve("bad.csv"), "t1,alice\nonlyatoken\n");
        assertThatThrownBy(() -> new Authenticator(new AuthConfig(true, List.of(), dir.resolve("bad.csv"), null, null, null, null, null)))
                .hasMessageContaining("bad.csv line 2: expected TOKEN,NAME");
    }

    @Test
    void theIssuersKeysAreFetchedFromItsJwksUrlOrFoundThroughDiscovery() throws Exception {
        io.cairn.node.testing.TestTokens issuer = io.cairn.node.testing.TestTokens.create(dir);
        com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        String base = "http://127.0.0.1:" + http.getAddress().getPort();
        java.util.concurrent.atomic.AtomicInteger keyFetches = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<String> bearers = new java.util.concurrent.CopyOnWriteArrayList<>();
        http.createContext("/openid/v1/jwks", x -> {
            keyFetches.incrementAndGet();
            bearers.add(String.valueOf(x.getRequestHeaders().getFirst("Authorization")));
            byte[] body = Files.readAllBytes(issuer.jwksFile());
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        http.createContext("/.well-known/openid-configuration", x -> {
            byte[] body = ("{\"issuer\":\"" + io.cairn.node.testing.TestTokens.ISSUER + "\",\"jwks_uri\":\"" + base
                    + "/openid/v1/jwks\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        http.start();
        try {
            Path memberToken = dir.resolve("member-token");
            Files.writeString(memberToken, "the-members-own-token\n");
            String token = issuer.token("shop", "web", "web-0", "cairn", 60_000);
            for (String source : List.of(base + "/openid/v1/jwks", base + "/.well-known/openid-configuration")) {
                Authenticator auth = new Authenticator(new AuthConfig(true, List.of(), null, source, memberToken, null,
                        io.cairn.node.testing.TestTokens.ISSUER, "cairn"));
                Identity pod = auth.fromToken(token);
                assertThat(pod.name()).isEqualTo("system:serviceaccount:shop:web");
                assertThat(pod.namespace()).isEqualTo("shop");
                assertThat(pod.pod()).isEqualTo("web-0");
                assertThat(pod.groups()).contains("system:serviceaccounts", "system:serviceaccounts:shop");
                assertThat(auth.fromToken(token)).isEqualTo(pod);
            }
            assertThat(keyFetches.get()).as("the keys are cached, fetched once per source").isEqualTo(2);
            assertThat(bearers).containsOnly("Bearer the-members-own-token");
            Authenticator nowhere = new Authenticator(new AuthConfig(true, List.of(), null,
                    "http://127.0.0.1:1/.well-known/openid-configuration", null, null, null, "cairn"));
            assertThatThrownBy(() -> nowhere.fromToken(token)).hasMessageContaining("cannot read the issuer's discovery document");
        } finally {
            http.stop(0);
        }
    }
}
