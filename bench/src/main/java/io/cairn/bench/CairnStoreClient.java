package io.cairn.bench;

import io.cairn.client.CairnClient;
import io.cairn.client.Event;
import io.cairn.client.Session;
import io.cairn.client.Watch;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** The workloads through Cairn's own Java client. */
final class CairnStoreClient implements StoreClient {
    private final CairnClient client;

    CairnStoreClient(CairnClient client) {
        this.client = client;
    }

    @Override
    public void put(String key, byte[] value) {
        client.set(key, value, -1);
    }

    @Override
    public CompletableFuture<?> putAsync(String key, byte[] value) {
        return client.setAsync(key, value, -1);
    }

    @Override
    public byte[] get(String key, boolean linearizable) throws Exception {
        return client.getAsync(key, 0, !linearizable).get().value();
    }

    @Override
    public AutoCloseable watchPrefix(String prefix, Consumer<String> onKey) {
        Watch w = client.watch(prefix + "/**", 0, (Event e) -> onKey.accept(e.path()));
        return w;
    }

    @Override
    public void registerAndLeave(String key, byte[] value) {
        try (Session s = client.openSession(Duration.ofSeconds(10))) {
            s.set(key, value, -1);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
