package io.cairn.node.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-connection request bound: a token bucket, driven here by a clock the test owns. */
class RateLimitTest {
    private static RequestHandler handler(int perSecond) {
        ServerLimits l = ServerLimits.forMaxValue(1024);
        return new RequestHandler(null, new ServerLimits(l.maxFrameBytes(), l.maxInFlight(), l.maxWatches(), l.maxPage(),
                l.maxPendingBytes(), perSecond), new Responder() {
                    @Override
                    public void send(io.cairn.proto.Msg.Response response) {}

                    @Override
                    public long pendingBytes() {
                        return 0;
                    }
                });
    }

    @Test
    void burstThenSustainedRate() {
        RequestHandler h = handler(100);
        long t = 1_000_000_000L;
        int admitted = 0;
        for (int i = 0; i < 150; i++) {
            if (h.admit(t)) {
                admitted++;
            }
        }
        assertThat(admitted).as("a burst of one second's worth").isEqualTo(100);
        // Half a second later, half a second's worth more.
        t += 500_000_000L;
        admitted = 0;
        for (int i = 0; i < 100; i++) {
            if (h.admit(t)) {
                admitted++;
            }
        }
        assertThat(admitted).isEqualTo(50);
        // A steady 100/s always fits.
        for (int i = 0; i < 1000; i++) {
            t += 10_000_000L;
            assertThat(h.admit(t)).isTrue();
        }
    }
}
