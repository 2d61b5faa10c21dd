package io.cairn.bench;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * What every workload asks of a system, each done the native way of that system's own Java
 * client (Cairn's client, jetcd, the ZooKeeper client). Keys are slash-separated paths.
 */
interface StoreClient extends AutoCloseable {
    /** Writes a value (creating the key if needed) and returns once the write is committed. */
    void put(String key, byte[] value) throws Exception;

    /** Starts a write; the future completes when it is committed (used to time a failover). */
    CompletableFuture<?> putAsync(String key, byte[] value);

    /**
     * Starts the write of a key not there yet (the data-set curve); its parent exists
     * ({@link #ensureParent}). Where a write creates keys anyway, it is {@link #putAsync}.
     */
    default CompletableFuture<?> createAsync(String key, byte[] value) {
        return putAsync(key, value);
    }

    /** Makes sure keys can be created under {@code dir}: a node of its own in ZooKeeper, nothing elsewhere. */
    default void ensureParent(String dir) throws Exception {
    }

    /** Reads a value: linearizable, or serializable (from the member asked, possibly stale). */
    byte[] get(String key, boolean linearizable) throws Exception;

    /** Calls {@code onKey} with the key of every change under {@code prefix} until closed. */
    AutoCloseable watchPrefix(String prefix, Consumer<String> onKey) throws Exception;

    /**
     * One presence cycle: open a session (lease, ZooKeeper session), register {@code key} bound
     * to it, then end the session so the key goes away.
     */
    void registerAndLeave(String key, byte[] value) throws Exception;

    @Override
    void close() throws Exception;
}
