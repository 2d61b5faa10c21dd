package io.cairn.node.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryTest {
    private static List<Event> at(long rev) {
        return List.of(Event.del(rev, "/r" + rev));
    }

    @Test
    void keepsRevisionsInOrderAcrossWrapAroundAndGrowth() {
        History h = new History();
        long oldest = 0;
        for (long rev = 1; rev <= 5000; rev++) {
            h.add(rev, at(rev));
            // A window that grows past the ring's first size, then shrinks, so the ring wraps and grows.
            long keep = rev < 3000 ? 1500 : 700;
            while (rev - oldest > keep) {
                oldest++;
                assertThat(h.removeOldest(oldest)).isEqualTo(at(oldest));
            }
            assertThat(h.firstRev()).isEqualTo(oldest + 1);
            assertThat(h.size()).isEqualTo((int) (rev - oldest));
        }
        for (long rev = oldest + 1; rev <= 5000; rev++) {
            assertThat(h.get(rev)).isEqualTo(at(rev));
        }
        assertThat(h.get(oldest)).isNull();
        assertThat(h.get(5001)).isNull();
        assertThat(h.removeOldest(oldest + 2)).as("only the oldest can go").isNull();
    }

    @Test
    void refusesAGap() {
        History h = new History();
        h.add(7, at(7));
        assertThatThrownBy(() -> h.add(9, at(9))).isInstanceOf(IllegalStateException.class).hasMessageContaining("from rev 7 to 9");
    }
}
