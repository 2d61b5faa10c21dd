package io.cairn.node.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SessionClockTest {
    @Test
    void aSessionExpiresOnceItsTtlHasPassedSinceItsLastKeepalive() {
        SessionClock clock = new SessionClock();
        clock.leading(true);
        clock.sync(List.of(new SessionClock.Timed(1, 1000)), 0);
        assertThat(clock.expired(900)).isEmpty();
        clock.keepalive(1, 900);
        assertThat(clock.expired(1500)).isEmpty();
        assertThat(clock.expired(1900)).isEmpty();
        assertThat(clock.expired(1901)).containsExactly(1L);
        assertThat(clock.expired(5000)).as("returned once").isEmpty();
        clock.retry(1);
        assertThat(clock.expired(5001)).as("given back, returned again").containsExactly(1L);
    }

    @Test
    void aSessionThatEndedIsForgottenAndANewLeaderStartsEveryClockAfresh() {
        SessionClock clock = new SessionClock();
        clock.leading(true);
        clock.sync(List.of(new SessionClock.Timed(1, 1000), new SessionClock.Timed(2, 1000)), 0);
        clock.sync(List.of(new SessionClock.Timed(2, 1000)), 10);
        assertThat(clock.expired(2000)).containsExactly(2L);
        clock.leading(false);
        assertThat(clock.needsSync()).isTrue();
        clock.leading(true);
        clock.sync(List.of(new SessionClock.Timed(2, 1000)), 3000);
        assertThat(clock.expired(3999)).isEmpty();
        assertThat(clock.expired(4001)).containsExactly(2L);
    }

    /**
     * The clock against the plain rule it replaced (every tick, each session whose TTL has passed
     * since its last keepalive, once), over random opens, ends, keepalives, ticks and retries.
     */
    @Test
    void agreesWithCheckingEverySessionOnEveryTick() {
        for (long seed = 1; seed <= 200; seed++) {
            Random r = new Random(seed);
            SessionClock clock = new SessionClock();
            clock.leading(true);
            Model model = new Model();
            Map<Long, Long> open = new TreeMap<>();
            long next = 1;
            long now = 0;
            for (int step = 0; step < 400; step++) {
                now += r.nextInt(120);
                int op = r.nextInt(10);
                if (op == 0 || open.isEmpty()) {
                    open.put(next++, 100L + r.nextInt(900));
                } else if (op == 1) {
                    List<Long> ids = new ArrayList<>(open.keySet());
                    open.remove(ids.get(r.nextInt(ids.size())));
                } else if (op <= 5) {
                    List<Long> ids = new ArrayList<>(open.keySet());
                    long id = ids.get(r.nextInt(ids.size()));
                    clock.keepalive(id, now);
                    model.keepalive(id, now);
                    continue;
                } else if (op == 6 && !model.expiring.isEmpty()) {
                    List<Long> ids = new ArrayList<>(model.expiring);
                    long id = ids.get(r.nextInt(ids.size()));
                    clock.retry(id);
                    model.expiring.remove(id);
                    continue;
                }
                List<SessionClock.Timed> sessions = new ArrayList<>();
                open.forEach((id, ttl) -> sessions.add(new SessionClock.Timed(id, ttl)));
                clock.sync(sessions, now);
                assertThat(new HashSet<>(clock.expired(now))).as("seed %d step %d", seed, step)
                        .isEqualTo(new HashSet<>(model.expired(open, now)));
            }
        }
    }

    /** The rule as it was: each tick walks every session. */
    private static final class Model {
        final Map<Long, Long> lastSeen = new HashMap<>();
        final Set<Long> expiring = new HashSet<>();

        void keepalive(long id, long now) {
            lastSeen.put(id, now);
        }

        List<Long> expired(Map<Long, Long> sessions, long now) {
            List<Long> out = new ArrayList<>();
            sessions.forEach((id, ttl) -> {
                Long seen = lastSeen.putIfAbsent(id, now);
                if (seen != null && now - seen > ttl && expiring.add(id)) {
                    out.add(id);
                }
            });
            lastSeen.keySet().retainAll(sessions.keySet());
            expiring.retainAll(sessions.keySet());
            return out;
        }
    }
}
