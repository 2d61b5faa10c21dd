package io.cairn.node.testing;

import io.cairn.node.CairnNode;
import io.cairn.node.NodeConfig;
import io.cairn.node.store.StoreConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** A real node on loopback with free ports and a fresh temp directory, for tests of every module. */
public final class TestNode implements AutoCloseable {
    private final CairnNode node;
    private final Path dir;

    private TestNode(CairnNode node, Path dir) {
        this.node = node;
        this.dir = dir;
    }

    public static TestNode start() {
        return start(StoreConfig.defaults());
    }

    public static TestNode start(StoreConfig store) {
        return start(store, null);
    }

    /** A node serving TLS ({@link TestCerts}), or plain TCP when {@code tls} is null. */
    public static TestNode start(StoreConfig store, NodeConfig.Tls tls) {
        return start(store, tls, io.cairn.node.auth.AuthConfig.OFF);
    }

    /** A node that identifies its clients and enforces the policy as {@code auth} says. */
    public static TestNode start(StoreConfig store, NodeConfig.Tls tls, io.cairn.node.auth.AuthConfig auth) {
        try {
            Path dir = Files.createTempDirectory("cairn-test-node");
            CairnNode node = CairnNode.start(NodeConfig.single(1, dir,
                    new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0), store).withTls(tls).withAuth(auth));
            node.awaitReady(java.time.Duration.ofSeconds(10));
            return new TestNode(node, dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public InetSocketAddress clientAddress() {
        return node.clientAddress();
    }

    public InetSocketAddress httpAddress() {
        return node.httpAddress();
    }

    /** {@code 127.0.0.1:PORT} of the client protocol. */
    public String endpoint() {
        return "127.0.0.1:" + node.clientAddress().getPort();
    }

    public String httpBase() {
        return "http://127.0.0.1:" + node.httpAddress().getPort();
    }

    public Path dataDir() {
        return dir;
    }

    @Override
    public void close() {
        node.close();
        // The member's log and snapshots go with it: tests leave nothing behind in /tmp.
        TempDirs.deleteTree(dir);
    }
}
