package io.cairn.testing.process;

import io.cairn.client.CairnClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real {@code cairn-node} JVMs on loopback, each with free ports and its own data directory, that
 * a test can kill with SIGKILL, pause with SIGSTOP, resume and restart.
 */
public final class ProcessCluster implements AutoCloseable {
    private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");
    private static final Pattern APPLIED = Pattern.compile("\"applied_slot\":(\\d+)");

    public final class Member {
        public final long id;
        final int clientPort;
        final int httpPort;
        final int peerPort;
        final Path dataDir;
        Process process;
        boolean paused;
        String joinVia;

        Member(long id, Path base) throws IOException {
            this.id = id;
            this.clientPort = freePort();
            this.httpPort = freePort();
            this.peerPort = freePort();
            this.dataDir = base.resolve("member-" + id);
        }

        public String endpoint() {
            return "127.0.0.1:" + clientPort;
        }

        public boolean alive() {
            return process != null && process.isAlive();
        }

        public long pid() {
            return process.pid();
        }
    }

    private final Path base;
    private final List<Member> members = new ArrayList<>();
    private List<String> extraArgs = List.of();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    private ProcessCluster(Path base) {
        this.base = base;
    }

    public static ProcessCluster start(int n) throws IOException, InterruptedException {
        return start(n, List.of());
    }

    /** {@link #start(int)}, each member of the first set given {@code extraArgs} too (like --restore-from FILE). */
    public static ProcessCluster start(int n, List<String> extraArgs) throws IOException, InterruptedException {
        // Free ports are found by binding port 0 and letting go, so another process (an outgoing
        // connection's ephemeral port, say) can take one before the member binds it; CI saw a
        // member exit with "Address already in use". Such a start is thrown away and retried.
        for (int attempt = 1; ; attempt++) {
            ProcessCluster c = new ProcessCluster(Files.createTempDirectory("cairn-cluster"));
            c.extraArgs = List.copyOf(extraArgs);
            for (long i = 1; i <= n; i++) {
                c.members.add(c.new Member(i, c.base));
            }
            for (Member m : c.members) {
                c.launch(m);
            }
            try {
                c.awaitLeader(Duration.ofSeconds(30));
                c.awaitAllServing(Duration.ofSeconds(30));
                c.awaitAgreedLeader(Duration.ofSeconds(30));
                return c;
            } catch (IllegalStateException e) {
                c.stopMembers();
                if (attempt == 3) {
                    throw e; // its data and logs stay, for the reason
                }
                c.deleteData();
                System.err.println("cluster start failed (" + e.getMessage() + "); trying again with other ports");
            }
        }
    }

    /** Every member answers its status page; a member that exited fails at once. */
    private void awaitAllServing(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        for (Member m : members) {
            while (status(m) == null) {
                if (!m.alive()) {
                    throw new IllegalStateException("member " + m.id + " exited at start; its log: " + base.resolve("member-" + m.id + ".log"));
                }
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("member " + m.id + " not serving within " + timeout);
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * Until every member names the same leader: one that has not heard of it yet refuses a write
     * as "no leader accepted the write", and a test's first write right after the start met that
     * (CI, SessionProcessTest).
     */
    private void awaitAgreedLeader(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            java.util.Set<Long> named = new java.util.HashSet<>();
            for (Member m : members) {
                named.add(leaderNamedBy(m));
            }
            if (named.size() == 1 && !named.contains(0L)) {
                return;
            }
            if (System.nanoTime() > end) {
                throw new IllegalStateException("the members did not agree on a leader within " + timeout + ": " + named);
            }
            Thread.sleep(20);
        }
    }

    public List<Member> members() {
        return members;
    }

    public Member member(long id) {
        return members.stream().filter(m -> m.id == id).findFirst().orElseThrow();
    }

    public String endpoints() {
        StringJoiner j = new StringJoiner(",");
        members.forEach(m -> j.add(m.endpoint()));
        return j.toString();
    }

    private String peersFlag() {
        StringJoiner j = new StringJoiner(",");
        members.stream().filter(m -> m.joinVia == null).forEach(m -> j.add(m.id + "=127.0.0.1:" + m.peerPort));
        return j.toString();
    }

    /** Starts a new member that joins through member {@code via} (added as learner, then promoted). */
    public Member join(long id, Member via) throws IOException {
        Member m = new Member(id, base);
        m.joinVia = via.endpoint();
        members.add(m);
        launch(m);
        return m;
    }

    public void launch(Member m) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "io.cairn.node.NodeMain",
                "--id", Long.toString(m.id), "--data-dir", m.dataDir.toString(),
                "--client-addr", "127.0.0.1:" + m.clientPort, "--http-addr", "127.0.0.1:" + m.httpPort,
                "--snapshot-every", "500"));
        if (m.joinVia != null) {
            cmd.addAll(List.of("--join", m.joinVia, "--peer-addr", "127.0.0.1:" + m.peerPort));
        } else {
            cmd.addAll(List.of("--peers", peersFlag()));
            cmd.addAll(extraArgs);
        }
        Path logFile = base.resolve("member-" + m.id + ".log");
        m.process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        m.paused = false;
    }

    /** SIGKILL: no shutdown hook, no flush, as a power cut would. */
    public void kill(Member m) throws InterruptedException {
        if (m.paused) {
            signal(m, "CONT");
        }
        m.process.destroyForcibly();
        m.process.waitFor();
    }

    public void pause(Member m) {
        signal(m, "STOP");
        m.paused = true;
    }

    public void resume(Member m) {
        signal(m, "CONT");
        m.paused = false;
    }

    private static void signal(Member m, String sig) {
        try {
            Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(m.pid())).start();
            p.waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits until {@code m} answers a read from its own state (a restarted member may not listen
     * yet); throws if it does not within {@code timeout}.
     */
    public void awaitServing(Member m, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < end) {
            try (CairnClient c = CairnClient.builder().endpoints(m.endpoint()).requestTimeout(Duration.ofSeconds(2))
                    .connectTimeout(Duration.ofMillis(500)).build()) {
                c.revAsync(true).get(3, java.util.concurrent.TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
                last = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("member " + m.id + " did not serve within " + timeout, last);
    }

    /** The leader as the first answering member sees it, or 0. */
    public long leader() {
        for (Member m : members) {
            if (!m.alive() || m.paused) {
                continue;
            }
            long l = leaderNamedBy(m);
            if (l != 0) {
                return l;
            }
        }
        return 0;
    }

    /** The leader member {@code m}'s status names; 0 when none, or when it does not answer. */
    private long leaderNamedBy(Member m) {
        String s = status(m);
        if (s == null) {
            return 0;
        }
        Matcher x = LEADER.matcher(s);
        return x.find() ? Long.parseLong(x.group(1)) : 0;
    }

    public long appliedSlot(Member m) {
        String s = status(m);
        if (s == null) {
            return -1;
        }
        Matcher x = APPLIED.matcher(s);
        return x.find() ? Long.parseLong(x.group(1)) : -1;
    }

    String status(Member m) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.httpPort + "/v1/status"))
                    .timeout(Duration.ofMillis(800)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public long awaitLeader(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            long l = leader();
            if (l != 0) {
                return l;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no leader within " + timeout + "; logs in " + base);
    }

    public Path logs() {
        return base;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Stops every member and removes the cluster's data and logs (each test run left hundreds of
     * member directories behind); with CAIRN_KEEP_TEST_DATA set in the environment they stay.
     */
    @Override
    public void close() {
        stopMembers();
        if (System.getenv("CAIRN_KEEP_TEST_DATA") == null) {
            deleteData();
        }
    }

    private void stopMembers() {
        for (Member m : members) {
            if (m.process != null) {
                if (m.paused) {
                    signal(m, "CONT");
                }
                m.process.destroyForcibly();
            }
        }
        for (Member m : members) {
            if (m.process != null) {
                try {
                    m.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void deleteData() {
        try (java.util.stream.Stream<Path> walk = Files.walk(base)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            System.err.println("could not remove " + base + ": " + e.getMessage());
        }
    }
}
