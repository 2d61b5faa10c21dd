package io.cairn.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** The workloads through jetcd, etcd's Java client; sessions are leases. */
final class EtcdStoreClient implements StoreClient {
    private static final long TIMEOUT_S = 5;
    private static final GetOption LINEARIZABLE = GetOption.builder().withSerializable(false).build();
    private static final GetOption SERIALIZABLE = GetOption.builder().withSerializable(true).build();
    private final Client client;

    EtcdStoreClient(Client client) {
        this.client = client;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Override
    public void put(String key, byte[] value) throws Exception {
        client.getKVClient().put(bytes(key), ByteSequence.from(value)).get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    @Override
    public CompletableFuture<?> putAsync(String key, byte[] value) {
        return client.getKVClient().put(bytes(key), ByteSequence.from(value));
    }

    @Override
    public byte[] get(String key, boolean linearizable) throws Exception {
        GetResponse r = client.getKVClient().get(bytes(key), linearizable ? LINEARIZABLE : SERIALIZABLE)
                .get(TIMEOUT_S, TimeUnit.SECONDS);
        List<KeyValue> kvs = r.getKvs();
        return kvs.isEmpty() ? null : kvs.get(0).getValue().getBytes();
    }

    @Override
    public AutoCloseable watchPrefix(String prefix, Consumer<String> onKey) {
        Watch.Watcher w = client.getWatchClient().watch(bytes(prefix + "/"),
                WatchOption.builder().isPrefix(true).build(), response -> {
                    for (WatchEvent e : response.getEvents()) {
                        onKey.accept(e.getKeyValue().getKey().toString(StandardCharsets.UTF_8));
                    }
                });
        return w;
    }

    @Override
    public void registerAndLeave(String key, byte[] value) throws Exception {
        long lease = client.getLeaseClient().grant(10).get(TIMEOUT_S, TimeUnit.SECONDS).getID();
        client.getKVClient().put(bytes(key), ByteSequence.from(value), PutOption.builder().withLeaseId(lease).build())
                .get(TIMEOUT_S, TimeUnit.SECONDS);
        client.getLeaseClient().revoke(lease).get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        client.close();
    }
}
