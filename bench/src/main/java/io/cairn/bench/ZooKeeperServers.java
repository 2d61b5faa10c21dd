package io.cairn.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.StringJoiner;

/**
 * Three ZooKeeper servers (Debian's {@code zookeeper} package) with the settings of its sample
 * configuration: tickTime 2000, initLimit 10, syncLimit 5, forceSync on, and the heap the
 * upstream launcher gives (1000 MB). The leader is found with the {@code srvr} four-letter word.
 */
final class ZooKeeperServers extends ServerGroup {
    private final String classpath;

    ZooKeeperServers(String classpath) throws IOException {
        super("zookeeper");
        this.classpath = classpath;
    }

    @Override
    void configure() throws IOException {
        StringJoiner servers = new StringJoiner("\n");
        members.forEach(m -> servers.add("server." + (m.index + 1) + "=127.0.0.1:" + m.peerPort + ":" + m.extraPort));
        String java = ProcessHandle.current().info().command().orElse("java");
        for (Member m : members) {
            Files.createDirectories(m.dataDir);
            Files.writeString(m.dataDir.resolve("myid"), Integer.toString(m.index + 1) + "\n");
            Path cfg = base.resolve("zoo-" + (m.index + 1) + ".cfg");
            Files.writeString(cfg, String.join("\n",
                    "tickTime=2000", "initLimit=10", "syncLimit=5",
                    "dataDir=" + m.dataDir,
                    "clientPort=" + m.clientPort, "clientPortAddress=127.0.0.1",
                    "admin.enableServer=false", "4lw.commands.whitelist=srvr",
                    servers.toString(), ""));
            m.command = List.of(java, "-Xmx1000m", "-Dzookeeper.jmx.log4j.disable=true",
                    "-cp", classpath, "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg.toString());
        }
    }

    @Override
    int leaderIndex() {
        for (Member m : members) {
            if (m.alive() && "leader".equals(mode(m))) {
                return m.index;
            }
        }
        return -1;
    }

    /** The servers' version line from {@code srvr}, e.g. "3.8.0-...". */
    /** Asked of the members for up to 10 s: started beside two other systems, the first may not answer at once. */
    String serverVersion() {
        long end = System.nanoTime() + 10_000_000_000L;
        do {
            for (Member m : members) {
                String v = srvr(m, "Zookeeper version: ");
                if (v != null) {
                    return v;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        } while (System.nanoTime() < end);
        return "unknown";
    }

    private static String mode(Member m) {
        return srvr(m, "Mode: ");
    }

    /** The value of one line of the member's {@code srvr} answer, or null. */
    private static String srvr(Member m, String field) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", m.clientPort), 300);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("srvr".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith(field)) {
                    return line.substring(field.length()).trim();
                }
            }
        } catch (IOException e) {
            // not serving yet
        }
        return null;
    }

    @Override
    StoreClient client(int preferredMember) throws Exception {
        return client(List.of(preferredMember));
    }

    @Override
    StoreClient client(List<Integer> memberIndexes) throws Exception {
        StringJoiner connect = new StringJoiner(",");
        memberIndexes.forEach(i -> connect.add(members.get(i).clientAddress()));
        return new ZooKeeperStoreClient(connect.toString());
    }
}
