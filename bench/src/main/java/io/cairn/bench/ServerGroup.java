package io.cairn.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Three members of one system as real processes on loopback, each with its own data directory
 * under a fresh temporary directory that {@link #close()} wipes. The benchmark kills the leader
 * with SIGKILL and restarts it, so every member keeps the command that started it.
 */
abstract class ServerGroup implements AutoCloseable {
    static final int MEMBERS = 3;

    /** One member: its ports, its data directory and the command that (re)starts it. */
    static final class Member {
        final int index;
        final int clientPort;
        final int peerPort;
        final int extraPort;
        final Path dataDir;
        final Path log;
        List<String> command;
        Process process;
        /** System.nanoTime() when its process was last started. */
        long launchedAt;

        Member(int index, Path base) {
            this.index = index;
            this.clientPort = freePort();
            this.peerPort = freePort();
            this.extraPort = freePort();
            this.dataDir = base.resolve("member-" + (index + 1));
            this.log = base.resolve("member-" + (index + 1) + ".log");
        }

        String clientAddress() {
            return "127.0.0.1:" + clientPort;
        }

        boolean alive() {
            return process != null && process.isAlive();
        }
    }

    final Path base;
    final List<Member> members = new ArrayList<>();
    /** Keep data directories and logs after the run (to look into a failure). */
    boolean keepData;

    private final String name;

    ServerGroup(String name) throws IOException {
        this.name = name;
        this.base = Files.createTempDirectory("cairn-bench-" + name + "-");
        for (int i = 0; i < MEMBERS; i++) {
            members.add(new Member(i, base));
        }
    }

    /** The process ids of the members running now. */
    List<Long> pids() {
        List<Long> out = new ArrayList<>();
        for (Member m : members) {
            if (m.alive()) {
                out.add(m.process.pid());
            }
        }
        return out;
    }

    String name() {
        return name;
    }

    /** Writes configuration and data directories, fills in each member's command. */
    abstract void configure() throws IOException;

    /** The index of the member that leads now, or -1 when none is known. */
    abstract int leaderIndex();

    /**
     * Whether every member runs and follows (or is) one leader: a member restarted after a
     * failover trial is back in the cluster, not still starting.
     */
    abstract boolean allInCluster();

    /** Waits until {@link #allInCluster()}; false if {@code timeout} passed first. */
    boolean awaitAllInCluster(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (allInCluster()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** A client of this system's own Java library, preferring the given member. */
    abstract StoreClient client(int preferredMember) throws Exception;

    /** A client that knows only these members (for failover: the survivors of a killed leader). */
    abstract StoreClient client(List<Integer> memberIndexes) throws Exception;

    /**
     * Starts a member with no data, which must catch up from the others, and gives its index: a
     * new member joined the system's own way (Cairn's --join, etcd's member add), or, where the
     * membership is fixed by configuration (ZooKeeper), {@code follower} with its data wiped.
     */
    abstract int startEmptyMember(int follower) throws Exception;

    /** A full copy of the data through the system's own API, or null where it has none. */
    abstract SnapshotTaken snapshot() throws Exception;

    /** One try of something {@link #retryFor} asks again. */
    interface Attempt<E extends Exception> {
        void run() throws E;
    }

    /**
     * Runs {@code attempt}, again every 200 ms while it fails with a {@code retryOn} exception,
     * for up to {@code limit}; then the last failure is thrown. For the first writes to a fresh
     * cluster, whose leader may still be settling.
     */
    static <E extends Exception> void retryFor(Duration limit, Class<? extends Exception> retryOn, Attempt<E> attempt)
            throws E, InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                attempt.run();
                return;
            } catch (Exception e) {
                if (!retryOn.isInstance(e) || System.nanoTime() > end) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    /** How long a full copy took, its size, and how it was taken. */
    record SnapshotTaken(double ms, long bytes, String how) {}

    /**
     * Starts the members and waits for a leader. A free port is found by binding port 0 and
     * letting go, so another process can take it first; a member that then exits at start gets
     * the whole group started again on other ports (at most three tries).
     */
    void start() throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            configure();
            for (Member m : members) {
                launch(m);
            }
            try {
                awaitLeader(Duration.ofSeconds(60));
                return;
            } catch (IllegalStateException e) {
                if (attempt == 3 || members.stream().allMatch(Member::alive)) {
                    throw e;
                }
                System.err.println(name() + ": " + e.getMessage() + "; starting again on other ports");
                for (Member m : members) {
                    kill(m);
                }
                members.clear();
                Path retry = Files.createDirectories(base.resolve("attempt-" + (attempt + 1)));
                for (int i = 0; i < MEMBERS; i++) {
                    members.add(new Member(i, retry));
                }
            }
        }
    }

    void launch(Member m) throws IOException {
        Files.createDirectories(m.dataDir);
        m.launchedAt = System.nanoTime();
        m.process = new ProcessBuilder(m.command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile())).start();
    }

    void kill(Member m) throws InterruptedException {
        if (m.process != null) {
            m.process.destroyForcibly();
            m.process.waitFor();
        }
    }

    int awaitLeader(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            for (Member m : members) {
                if (m.process != null && !m.process.isAlive()) {
                    throw new IllegalStateException(name() + " member " + (m.index + 1) + " exited with "
                            + m.process.exitValue() + "; its log: " + m.log);
                }
            }
            int leader = leaderIndex();
            if (leader >= 0) {
                return leader;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(name() + ": no leader within " + timeout + "; logs in " + base);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() throws InterruptedException, IOException {
        // A polite stop first (SIGTERM), so members can write what they keep on exit (a JFR
        // recording, say); the failover workload is where members are killed hard.
        for (Member m : members) {
            if (m.process != null) {
                m.process.destroy();
            }
        }
        for (Member m : members) {
            if (m.process != null && !m.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                kill(m);
            }
        }
        if (keepData || !Files.exists(base)) {
            return; // kept, or closed already (by the run's end and by the shutdown hook)
        }
        deleteTree(base);
    }

    /** Deletes {@code dir} and everything under it. */
    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
