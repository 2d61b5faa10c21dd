package io.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The data-set curve's load writes again what was refused while the leader changed, until it lands. */
class DataSetLoadTest {
    /** A store that refuses the first {@code refusals} plain writes, as members do while they elect a leader. */
    static final class Store implements StoreClient {
        final Map<String, byte[]> data = new LinkedHashMap<>();
        int refusals;

        @Override
        public void put(String key, byte[] value) throws Exception {
            if (refusals > 0) {
                refusals--;
                throw new IllegalStateException("not applied: the leader changed");
            }
            data.put(key, value);
        }

        @Override
        public CompletableFuture<?> putAsync(String key, byte[] value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] get(String key, boolean linearizable) {
            return data.get(key);
        }

        @Override
        public AutoCloseable watchPrefix(String prefix, Consumer<String> onKey) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void registerAndLeave(String key, byte[] value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}
    }

    @Test
    void refusedWritesOfAWindowAreWrittenAgain() throws Exception {
        Store s = new Store();
        s.refusals = 2; // the first rewrite is refused twice more before a leader is back
        byte[] v = {7};
        List<CompletableFuture<?>> window = new ArrayList<>();
        window.add(CompletableFuture.completedFuture(null));
        window.add(CompletableFuture.failedFuture(new IllegalStateException("not applied")));
        window.add(CompletableFuture.completedFuture(null));
        window.add(CompletableFuture.failedFuture(new IllegalStateException("connection lost")));

        assertThat(DataSetCurve.awaitOrRewrite(s, window, 10, v)).isEqualTo(2);
        assertThat(s.data).containsOnlyKeys(DataSetCurve.key(11), DataSetCurve.key(13));
        assertThat(s.refusals).isZero();
    }
}
