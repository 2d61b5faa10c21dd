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
}
