package io.cairn.node;

import io.cairn.net.TlsConfig;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;

/**
 * Everything a node is started with. Port 0 picks a free port (tests). Addresses may be names;
 * they are resolved when bound or dialled ({@link Addresses}).
 *
 * @param peers every voting member's peer address, this node's included; empty for a cluster of one
 * @param join the client address of a member of an existing cluster to join as a learner, or null
 * @param tls TLS for every port, or null for plain TCP
 * @param peerAddr where this member listens for peers (and what it advertises); null: its own
 *     address in the membership saved in the data directory, else none (a lone member has no peer port)
 * @param advertiseClient the client address others are told (members list), or null: the
 *     client address unless that is a wildcard, then the bound one
 * @param advertiseHttp likewise for the HTTP gateway
 * @param auth how clients are identified, and whether the policy under /ctl/acl is enforced
 */
public record NodeConfig(long id, Path dataDir, InetSocketAddress clientAddr, InetSocketAddress httpAddr,
        InetSocketAddress peerAddr, Map<Long, InetSocketAddress> peers, StoreConfig store,
        Replica.Options replication, InetSocketAddress join, Tls tls,
        InetSocketAddress advertiseClient, InetSocketAddress advertiseHttp, AuthConfig auth) {

    /** Authorization off. */
    public NodeConfig(long id, Path dataDir, InetSocketAddress clientAddr, InetSocketAddress httpAddr,
            InetSocketAddress peerAddr, Map<Long, InetSocketAddress> peers, StoreConfig store,
            Replica.Options replication, InetSocketAddress join, Tls tls,
            InetSocketAddress advertiseClient, InetSocketAddress advertiseHttp) {
        this(id, dataDir, clientAddr, httpAddr, peerAddr, peers, store, replication, join, tls, advertiseClient, advertiseHttp,
                AuthConfig.OFF);
    }

    public NodeConfig withAuth(AuthConfig a) {
        return new NodeConfig(id, dataDir, clientAddr, httpAddr, peerAddr, peers, store, replication, join, tls,
                advertiseClient, advertiseHttp, a);
    }

    /**
     * A member's TLS: its certificate serves the client port and the HTTP gateway and is shown
     * to peers, whose certificates must chain to the same CAs (peers always authenticate each
     * other). {@code clientCertAuth}: clients must show a certificate from those CAs too (the
     * HTTP gateway's probes and metrics stay open, for the kubelet and Prometheus).
     */
    public record Tls(TlsConfig files, boolean clientCertAuth) {}

    /** Advertised addresses from the ones given. */
    public NodeConfig(long id, Path dataDir, InetSocketAddress clientAddr, InetSocketAddress httpAddr,
            InetSocketAddress peerAddr, Map<Long, InetSocketAddress> peers, StoreConfig store,
            Replica.Options replication, InetSocketAddress join, Tls tls) {
        this(id, dataDir, clientAddr, httpAddr, peerAddr, peers, store, replication, join, tls, null, null);
    }

    /** Plain TCP. */
    public NodeConfig(long id, Path dataDir, InetSocketAddress clientAddr, InetSocketAddress httpAddr,
            InetSocketAddress peerAddr, Map<Long, InetSocketAddress> peers, StoreConfig store,
            Replica.Options replication, InetSocketAddress join) {
        this(id, dataDir, clientAddr, httpAddr, peerAddr, peers, store, replication, join, null, null, null);
    }

    public NodeConfig withTls(Tls t) {
        return new NodeConfig(id, dataDir, clientAddr, httpAddr, peerAddr, peers, store, replication, join, t,
                advertiseClient, advertiseHttp, auth);
    }

    public NodeConfig withPeerAddr(InetSocketAddress addr) {
        return new NodeConfig(id, dataDir, clientAddr, httpAddr, addr, peers, store, replication, join, tls,
                advertiseClient, advertiseHttp, auth);
    }

    public NodeConfig withAdvertised(InetSocketAddress client, InetSocketAddress http) {
        return new NodeConfig(id, dataDir, clientAddr, httpAddr, peerAddr, peers, store, replication, join, tls, client, http, auth);
    }

    /** A cluster of one with default replication settings. */
    public static NodeConfig single(long id, Path dataDir, InetSocketAddress clientAddr, InetSocketAddress httpAddr,
            StoreConfig store) {
        return new NodeConfig(id, dataDir, clientAddr, httpAddr, new InetSocketAddress(clientAddr.getAddress(), 0),
                Map.of(), store, Replica.Options.defaults(), null);
    }
}
