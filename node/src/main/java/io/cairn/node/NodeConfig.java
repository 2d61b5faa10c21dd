package io.cairn.node;

import io.cairn.node.server.ReplicatedKvService;
import io.cairn.node.store.StoreConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;

/**
 * Everything a node is started with. Port 0 picks a free port (tests).
 *
 * @param peers every voting member's peer address, this node's included; empty for a cluster of one
 * @param join the client address of a member of an existing cluster to join as a learner, or null
 */
public record NodeConfig(long id, Path dataDir, InetSocketAddress clientAddr, InetSocketAddress httpAddr,
        InetSocketAddress peerAddr, Map<Long, InetSocketAddress> peers, StoreConfig store,
        ReplicatedKvService.Options replication, InetSocketAddress join) {

    /** A cluster of one with default replication settings. */
    public static NodeConfig single(long id, Path dataDir, InetSocketAddress clientAddr, InetSocketAddress httpAddr,
            StoreConfig store) {
        return new NodeConfig(id, dataDir, clientAddr, httpAddr, new InetSocketAddress(clientAddr.getAddress(), 0),
                Map.of(), store, ReplicatedKvService.Options.defaults(), null);
    }
}
