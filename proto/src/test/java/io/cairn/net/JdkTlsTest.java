package io.cairn.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class JdkTlsTest {
    private static byte[] pem(String label, byte[] der) {
        return ("-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + label + "-----\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void readsPkcs8KeysOfEachCommonAlgorithm() throws Exception {
        for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
            KeyPair pair = KeyPairGenerator.getInstance(alg).generateKeyPair();
            assertThat(JdkTls.privateKey(pem("PRIVATE KEY", pair.getPrivate().getEncoded())).getEncoded())
                    .as(alg).isEqualTo(pair.getPrivate().getEncoded());
        }
    }

    @Test
    void aKeyInAnotherFormIsRefusedWithTheFormatNamed() throws Exception {
        byte[] rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair().getPrivate().getEncoded();
        // PKCS#1 ("BEGIN RSA PRIVATE KEY"), as openssl genrsa -traditional writes it, is not read.
        TlsConfig pkcs1 = TlsConfig.pem(pem("CERTIFICATE", new byte[] {1}), pem("RSA PRIVATE KEY", rsa), null, "test");
        assertThatThrownBy(pkcs1::jdkClientContext).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TLS (test)").hasMessageContaining("keys must be PEM PKCS#8");
        TlsConfig garbled = TlsConfig.pem(pem("CERTIFICATE", new byte[] {1}), pem("PRIVATE KEY", new byte[] {1, 2, 3}), null, "test");
        assertThatThrownBy(garbled::jdkClientContext).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TLS (test)").hasMessageContaining("keys must be PEM PKCS#8");
        assertThatThrownBy(() -> JdkTls.privateKey(pem("RSA PRIVATE KEY", rsa))).hasMessageContaining("BEGIN PRIVATE KEY");
        assertThatThrownBy(() -> JdkTls.privateKey(pem("ENCRYPTED PRIVATE KEY", rsa))).hasMessageContaining("encrypted");
        assertThatThrownBy(() -> JdkTls.privateKey(pem("PRIVATE KEY", new byte[] {1, 2, 3}))).hasMessageContaining("no algorithm");
    }

    @Test
    void aCaBundleWithoutCertificatesIsRefused() {
        TlsConfig empty = TlsConfig.pem(null, null, "no certificates here\n".getBytes(StandardCharsets.US_ASCII), "test");
        assertThatThrownBy(empty::jdkClientContext).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TLS (test)");
    }

    @Test
    void withoutMaterialTheJvmsCasAreTrusted() {
        assertThat(TlsConfig.pem(null, null, null, "test").jdkClientContext().getProtocol()).isEqualTo("TLS");
    }
}
