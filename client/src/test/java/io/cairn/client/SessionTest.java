package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.node.testing.TcpProxy;
import io.cairn.node.testing.TestNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SessionTest {
    /** How this class's clients are built; {@code ...OverSocketsTest} runs every test again with the socket transport. */
    CairnClient.Builder clientBuilder() {
        return CairnClient.builder();
    }

    CairnClient connect(String endpoints) {
        return clientBuilder().endpoints(endpoints).build();
    }

    @Test
    void ephemeralFilesLiveAsLongAsTheirSession() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = connect(node.endpoint());
                CairnClient other = connect(node.endpoint())) {
            Session s = c.openSession(Duration.ofSeconds(5));
            long rev = s.set("/presence/ns/app/pod-1", "{\"status\":\"ready\"}", -1);
            assertThat(c.get("/presence/ns/app/pod-1").rev()).isEqualTo(rev);
            assertThat(c.sessions()).anySatisfy(i -> {
                assertThat(i.getId()).isEqualTo(s.id());
                assertThat(i.getFilesList()).containsExactly("/presence/ns/app/pod-1");
                assertThat(i.getRemainingMs()).isBetween(0L, 5000L);
            });
            // Another client may neither overwrite nor delete it.
            assertThatThrownBy(() -> other.set("/presence/ns/app/pod-1", "mine", -1)).isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining("ephemeral file of session " + s.id());
            assertThatThrownBy(() -> other.del("/presence/ns/app/pod-1", -1)).isInstanceOf(PermissionDeniedException.class);
            LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
            // From a revision pinned now: a watch of "the next change" could start after the close.
            c.watch("/presence/**", c.rev().rev() + 1, events::add);
            s.close();
            Event gone = events.poll(5, TimeUnit.SECONDS);
            assertThat(gone).isNotNull();
            assertThat(gone.deleted()).isTrue();
            assertThat(c.get("/presence/ns/app/pod-1").exists()).isFalse();
            assertThatThrownBy(() -> s.set("/presence/ns/app/pod-2", "x", -1)).isInstanceOf(SessionExpiredException.class);
        }
    }

    @Test
    void aSessionSurvivesReconnectsWithinItsTtlAndExpiresWithoutKeepalives() throws Exception {
        try (TestNode node = TestNode.start(); TcpProxy proxy = new TcpProxy(node.clientAddress());
                CairnClient c = clientBuilder().endpoints(proxy.endpoint()).requestTimeout(Duration.ofSeconds(2)).build();
                CairnClient direct = connect(node.endpoint())) {
            Session s = c.openSession(Duration.ofMillis(1500));
            s.set("/presence/ns/app/flaky", "here", -1);
            // Connections keep dropping, but reconnects come well within the TTL: nothing is lost.
            for (int i = 0; i < 15; i++) {
                proxy.cutAll();
                Thread.sleep(200);
            }
            assertThat(direct.get("/presence/ns/app/flaky").text()).isEqualTo("here");
            assertThat(s.ended()).isFalse();

            // Now no keepalive can get through for longer than the TTL: the cluster ends the session.
            CompletableFuture<CairnException> expired = new CompletableFuture<>();
            s.onExpired(expired::complete);
            LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
            direct.watch("/presence/**", direct.rev().rev() + 1, events::add);
            proxy.refuse(true);
            proxy.cutAll();
            Event gone = events.poll(10, TimeUnit.SECONDS);
            assertThat(gone).as("the expiry deleted the file").isNotNull();
            assertThat(gone.deleted()).isTrue();
            proxy.refuse(false);
            assertThat(expired.get(10, TimeUnit.SECONDS)).isInstanceOf(SessionExpiredException.class);
            assertThat(direct.get("/presence/ns/app/flaky").exists()).isFalse();
        }
    }

    @Test
    void ttlAndLimitsAreChecked() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = connect(node.endpoint())) {
            assertThatThrownBy(() -> c.openSession(Duration.ofMillis(10))).isInstanceOf(RangeException.class).hasMessageContaining("TTL");
            assertThatThrownBy(() -> c.openSession(Duration.ofHours(1))).isInstanceOf(RangeException.class);
            java.util.List<Session> open = new java.util.ArrayList<>();
            for (int i = 0; i < 64; i++) {
                open.add(c.openSession(Duration.ofSeconds(30)));
            }
            assertThatThrownBy(() -> c.openSession(Duration.ofSeconds(30))).isInstanceOf(RangeException.class)
                    .hasMessageContaining("limit");
            // The bound is on open sessions: once one ends, another may open.
            open.get(0).close();
            assertThat(c.openSession(Duration.ofSeconds(30)).id()).isPositive();
        }
    }
}
