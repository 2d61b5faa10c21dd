package io.cairn.node.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VersionChainTest {
    private static byte[] v(long rev) {
        return ("v" + rev).getBytes();
    }

    @Test
    void aDeletionAtTheOldestRevisionLeavesNothing() {
        VersionChain c = new VersionChain();
        c.put(1, v(1));
        c.put(2, null);
        assertThat(c.compact(2)).isTrue();
        assertThat(c.at(2)).isNull();
        assertThat(c.latest()).isNull();
    }

    @Test
    void compactingKeepsWhatReadsAtOrAfterTheOldestRevisionSee() {
        VersionChain c = new VersionChain();
        for (long rev = 1; rev <= 1000; rev++) {
            c.put(rev, v(rev));
            long oldest = rev - 100;
            if (oldest > 0) {
                assertThat(c.compact(oldest)).isFalse();
                // The version in effect at the oldest revision stays, and everything after it.
                assertThat(c.at(oldest).value()).isEqualTo(v(oldest));
                assertThat(c.at(rev).value()).isEqualTo(v(rev));
                assertThat(c.at(oldest + 50).value()).isEqualTo(v(oldest + 50));
            }
        }
        assertThat(c.size() - 101).as("forgotten versions are shifted out once they outnumber the rest")
                .isLessThanOrEqualTo(101);
        // A failed transaction's put is taken back.
        int mark = c.size();
        c.put(1001, v(1001));
        c.truncate(mark);
        assertThat(c.latest().rev()).isEqualTo(1000);
    }
}
