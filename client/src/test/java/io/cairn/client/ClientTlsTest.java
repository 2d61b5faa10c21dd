package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.node.NodeConfig;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TestCerts;
import io.cairn.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The client against a member that serves TLS and requires client certificates. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientTlsTest {
    TestCerts ca;
    TestNode node;

    /** How this class's clients are built; {@code ClientTlsOverSocketsTest} runs every test again with the socket transport. */
    CairnClient.Builder clientBuilder() {
        return CairnClient.builder();
    }

    @BeforeAll
    void start() {
        ca = TestCerts.newCa("client-test-ca");
        node = TestNode.start(StoreConfig.defaults(), new NodeConfig.Tls(ca.member("member"), true));
    }

    @AfterAll
    void stop() {
        node.close();
    }

    private CairnClient.Builder builder() {
        return clientBuilder().endpoints(node.endpoint()).requestTimeout(Duration.ofSeconds(5))
                .connectTimeout(Duration.ofSeconds(2));
    }

    @Test
    void aCertifiedClientWritesReadsAndWatches() throws Exception {
        try (CairnClient c = builder().tls(ca.client("app")).build()) {
            BlockingQueue<Event> events = new ArrayBlockingQueue<>(10);
            long rev = c.set("/tls/x", "1".getBytes(StandardCharsets.UTF_8), -1);
            try (Watch w = c.watch("/tls/**", rev + 1, events::add)) {
                long next = c.set("/tls/x", "2".getBytes(StandardCharsets.UTF_8), rev);
                Event e = events.poll(10, TimeUnit.SECONDS);
                assertThat(e).isNotNull();
                assertThat(e.rev()).isEqualTo(next);
            }
            assertThat(new String(c.get("/tls/x").value(), StandardCharsets.UTF_8)).isEqualTo("2");
        }
    }

    @Test
    void withoutACertificateTheMemberRefusesAndTheErrorSaysSo() {
        try (CairnClient c = builder().tls(ca.anonymous()).build()) {
            assertThatThrownBy(c::rev).isInstanceOf(CairnException.class).hasMessageContaining("certificate");
        }
    }

    @Test
    void aMemberFromAnotherCaIsNotTrusted() {
        TestCerts other = TestCerts.newCa("untrusted-ca");
        try (CairnClient c = builder().tls(other.client("app")).build()) {
            assertThatThrownBy(c::rev).isInstanceOf(UnavailableException.class).hasMessageContaining("TLS with 127.0.0.1:")
                    .hasMessageContaining("certification path");
        }
    }

    @Test
    void plainTcpToATlsMemberFailsRatherThanHangs() {
        try (CairnClient c = builder().build()) {
            assertThatThrownBy(c::rev).isInstanceOf(CairnException.class);
        }
    }
}
