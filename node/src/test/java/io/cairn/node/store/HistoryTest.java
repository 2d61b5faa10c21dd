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
    void aCopyHoldsEveryRevisionOldestFirstWhereverTheRingWrapsAndStaysAsItWas() {
        History h = new History();
        assertThat(h.copy()).isEmpty();
        long oldest = 0;
        for (long rev = 1; rev <= 3000; rev++) {
            h.add(rev, at(rev));
            while (rev - oldest > 900) {
                h.removeOldest(++oldest);
            }
            if (rev % 97 == 0 || rev == 1024 || rev == 2048) {
                // Whatever the head's place in the ring: whole, split at the ring's end, or after growth.
                List<List<Event>> copy = h.copy();
                assertThat(copy).hasSize(h.size());
                for (int i = 0; i < copy.size(); i++) {
                    assertThat(copy.get(i)).isEqualTo(at(h.firstRev() + i));
                }
            }
        }
        List<List<Event>> copy = h.copy();
        long first = h.firstRev();
        h.add(3001, at(3001));
        h.removeOldest(first);
        assertThat(copy).as("a copy does not follow the history").hasSize(900).first().isEqualTo(at(first));
    }

    @Test
    void refusesAGap() {
        History h = new History();
        h.add(7, at(7));
        assertThatThrownBy(() -> h.add(9, at(9))).isInstanceOf(IllegalStateException.class).hasMessageContaining("from rev 7 to 9");
    }
}
