package io.cairn.node;

import io.cairn.node.store.StoreConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/** Everything a node is started with. Port 0 picks a free port (tests). */
public record NodeConfig(long id, Path dataDir, InetSocketAddress clientAddr, InetSocketAddress httpAddr,
        StoreConfig store) {}
