package io.cairn.node;

import io.cairn.node.store.StoreConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code cairn-node}: starts one node and serves until interrupted. */
@Command(name = "cairn-node", mixinStandardHelpOptions = true, version = "cairn-node 0.1.0",
        description = "Runs a Cairn store node.")
public final class NodeMain implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--id", required = true, description = "This node's id, a positive integer.")
    long id;

    @Option(names = "--data-dir", required = true, description = "Directory for this node's data.")
    Path dataDir;

    @Option(names = "--client-addr", defaultValue = "127.0.0.1:8046",
            description = "Client protocol address, HOST:PORT (default ${DEFAULT-VALUE}).")
    String clientAddr;

    @Option(names = "--http-addr", defaultValue = "127.0.0.1:8048",
            description = "HTTP gateway address, HOST:PORT (default ${DEFAULT-VALUE}).")
    String httpAddr;

    @Option(names = "--history", defaultValue = "100000",
            description = "Revisions kept readable and replayable to watchers (default ${DEFAULT-VALUE}).")
    long history;

    @Option(names = "--max-value-bytes", defaultValue = "1048576",
            description = "Largest value a file may hold (default ${DEFAULT-VALUE}).")
    int maxValueBytes;

    public static void main(String[] args) {
        System.exit(new CommandLine(new NodeMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (id < 1) {
            throw new ParameterException(spec.commandLine(), "--id must be a positive integer, got " + id);
        }
        if (history < 1) {
            throw new ParameterException(spec.commandLine(), "--history must be at least 1, got " + history);
        }
        if (maxValueBytes < 1 || maxValueBytes > 64 << 20) {
            throw new ParameterException(spec.commandLine(), "--max-value-bytes must be 1..67108864, got " + maxValueBytes);
        }
        NodeConfig config = new NodeConfig(id, dataDir,
                parseAddr("--client-addr", clientAddr), parseAddr("--http-addr", httpAddr),
                new StoreConfig(history, maxValueBytes));
        CairnNode node;
        try {
            node = CairnNode.start(config);
        } catch (IllegalStateException | java.io.IOException e) {
            System.err.println("cairn-node: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            System.err.println("cairn-node: cannot start: " + e);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "cairn-shutdown"));
        stopped.await();
        return 0;
    }

    private InetSocketAddress parseAddr(String flag, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new ParameterException(spec.commandLine(), flag + " must be HOST:PORT, got \"" + value + "\"");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), flag + " has a bad port in \"" + value + "\"");
        }
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), flag + " port must be 0..65535, got " + port);
        }
        return new InetSocketAddress(host, port);
    }
}
