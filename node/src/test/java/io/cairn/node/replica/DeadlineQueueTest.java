package io.cairn.node.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeadlineQueueTest {
    @Test
    void expiresOldestFirstOnlyOnceDue() {
        DeadlineQueue q = new DeadlineQueue();
        q.add(7, 100);
        q.add(8, 200);
        List<Long> out = new ArrayList<>();
        q.expire(99, out::add);
        assertThat(out).isEmpty();
        q.expire(150, out::add);
        assertThat(out).containsExactly(7L);
        q.expire(200, out::add);
        assertThat(out).containsExactly(7L, 8L);
        assertThat(q.size()).isZero();
    }

    @Test
    void keepsOrderAcrossWrapAroundAndGrowth() {
        DeadlineQueue q = new DeadlineQueue();
        List<Long> out = new ArrayList<>();
        long next = 0;
        long expected = 0;
        // Fill and drain unevenly so the head wraps around the arrays before they grow.
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < 100 + round * 10; i++) {
                q.add(next, next);
                next++;
            }
            q.expire(next - 51, out::add);
            for (long id : out) {
                assertThat(id).isEqualTo(expected++);
            }
            out.clear();
            assertThat(q.size()).isEqualTo(50);
        }
        q.expire(Long.MAX_VALUE, out::add);
        assertThat(out).hasSize(50).first().isEqualTo(expected);
    }
}
