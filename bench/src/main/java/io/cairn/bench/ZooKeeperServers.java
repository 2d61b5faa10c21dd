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
import java.util.stream.Stream;
import java.util.StringJoiner;

/**
 * Three ZooKeeper servers (Debian's {@code zookeeper} package) with the settings of its sample
 * configuration: tickTime 2000, initLimit 10, syncLimit 5, forceSync on, and the heap the
 * upstream launcher gives (1000 MB). The leader is found with the {@code srvr} four-letter word.
 */
final class ZooKeeperServers extends ServerGroup {
    private final String classpath;
    private final String heap;
    private final List<String> extraConfig;

    ZooKeeperServers(String classpath) throws IOException {
        this(classpath, "1000m", List.of());
    }

    /** With another heap (the data-set curve's 1 GiB does not fit the default) and more zoo.cfg lines. */
    ZooKeeperServers(String classpath, String heap, List<String> extraConfig) throws IOException {
        super("zookeeper");
        this.classpath = classpath;
        this.heap = heap;
        this.extraConfig = List.copyOf(extraConfig);
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
                    servers.toString(), String.join("\n", extraConfig), ""));
            m.command = List.of(java, "-Xmx" + heap, "-Dzookeeper.jmx.log4j.disable=true",
                    "-cp", classpath, "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg.toString());
        }
    }

    /**
     * ZooKeeper's membership is its configuration (a fourth server means a dynamic reconfiguration
     * with superuser rights), so the empty member is a follower whose data is wiped, keeping its
     * myid: how a server with a lost disk is replaced. It syncs from the leader by snapshot.
     */
    @Override
    int startEmptyMember(int follower) throws Exception {
        Member m = members.get(follower);
        kill(m);
        Path data = m.dataDir.resolve("version-2");
        if (Files.exists(data)) {
            deleteTree(data);
        }
        launch(m);
        return follower;
    }

    /**
     * ZooKeeper 3.8 has no API that takes a snapshot (3.9 adds an admin command), and a server
     * writes one by itself only every snapCount transactions. The size given is that of the newest
     * snapshot file of any member: after a member's catch-up by snapshot, the one it wrote on
     * syncing, which holds the whole tree. The time is not known.
     */
    @Override
    SnapshotTaken snapshot() throws IOException {
        long bytes = 0;
        long newest = Long.MIN_VALUE;
        for (Member m : members) {
            Path data = m.dataDir.resolve("version-2");
            if (!Files.isDirectory(data)) {
                continue;
            }
            try (Stream<Path> files = Files.list(data)) {
                for (Path p : files.filter(f -> f.getFileName().toString().startsWith("snapshot.")).toList()) {
                    long modified = Files.getLastModifiedTime(p).toMillis();
                    if (modified >= newest) {
                        newest = modified;
                        bytes = Files.size(p);
                    }
                }
            }
        }
        return new SnapshotTaken(Double.NaN, bytes, "no snapshot API (3.8): the newest snapshot file a member wrote (the caught-up one's)");
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

    @Override
    boolean allInCluster() {
        int leaders = 0;
        for (Member m : members) {
            String mode = m.alive() ? mode(m) : null;
            if (mode == null || !(mode.equals("leader") || mode.equals("follower"))) {
                return false; // down, or still looking for its leader
            }
            leaders += mode.equals("leader") ? 1 : 0;
        }
        return leaders == 1;
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
