package io.cairn.bench;

import io.cairn.client.CairnClient;
import java.io.IOException;
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
 * Three {@code cairn-node} JVMs started from the benchmark's own classpath, with the flags of
 * {@code bin/cairn-node} and, like it, a class-data-sharing archive ({@link NodeArchive}). The
 * leader is read from each member's {@code /v1/status}.
 */
final class CairnServers extends ServerGroup {
    private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
    private final List<String> jvmFlags;
    /**
     * With the policy enforced: the members take a token file; the benchmark's clients are a
     * plain identity in group "bench", granted /bench/** by one of 21 rules (the others for
     * other groups), so every request is checked as a tenant's would be, not an admin's.
     */
    private final Path tokens;
    static final String BENCH_TOKEN = "bench-token";
    private static final String ADMIN_TOKEN = "bench-admin-token";

    /** More cairn-node flags for every member (e.g. --history N for the size curves). */
    private final List<String> nodeFlags;

    CairnServers(List<String> jvmFlags, boolean auth) throws IOException {
        this(jvmFlags, auth, List.of());
    }

    CairnServers(List<String> jvmFlags, boolean auth, List<String> nodeFlags) throws IOException {
        super(auth ? "cairn-auth" : "cairn");
        this.jvmFlags = NodeArchive.with(jvmFlags);
        this.nodeFlags = List.copyOf(nodeFlags);
        if (auth) {
            tokens = Files.createTempFile("cairn-bench-tokens", ".csv");
            Files.writeString(tokens, BENCH_TOKEN + ",bench-client,1,\"bench\"\n" + ADMIN_TOKEN + ",bench-admin,0,\"cairn:admins\"\n");
        } else {
            tokens = null;
        }
    }

    @Override
    void start() throws IOException, InterruptedException {
        super.start();
        if (tokens == null) {
            return;
        }
        try (CairnClient admin = CairnClient.builder().endpoints(members.get(0).clientAddress()).token(() -> ADMIN_TOKEN)
                .requestTimeout(Duration.ofSeconds(10)).build()) {
            // A write under /ctl/acl waits until the leader has heard from every member (it must
            // know they all read ACL rules alike); right after the election it may not have yet,
            // and the write is refused as unavailable, which is worth asking again.
            for (int i = 0; i < 20; i++) {
                String rule = "{\"subject\":\"group:team-" + i + "\",\"path\":\"/team-" + i + "/{namespace}/**\",\"rights\":[\"read\",\"watch\"]}";
                setRule(admin, "/ctl/acl/rules/team-" + i, rule);
            }
            setRule(admin, "/ctl/acl/rules/bench", "{\"subject\":\"group:bench\",\"path\":\"/bench/**\","
                    + "\"rights\":[\"read\",\"write\",\"watch\"]}");
        }
    }

    private static void setRule(CairnClient admin, String path, String rule) throws InterruptedException {
        retryFor(Duration.ofSeconds(30), io.cairn.client.UnavailableException.class, () -> admin.set(path, rule, -1));
    }

    @Override
    public void close() throws InterruptedException, IOException {
        try {
            super.close();
        } finally {
            if (tokens != null) {
                Files.deleteIfExists(tokens);
            }
        }
    }

    @Override
    void configure() {
        StringJoiner peers = new StringJoiner(",");
        members.forEach(m -> peers.add((m.index + 1) + "=127.0.0.1:" + m.peerPort));
        String java = ProcessHandle.current().info().command().orElse("java");
        for (Member m : members) {
            List<String> cmd = new ArrayList<>(List.of(java));
            // "{member}" in a flag becomes the member's number, e.g. for a JFR file per member.
            jvmFlags.forEach(f -> cmd.add(f.replace("{member}", Integer.toString(m.index + 1))));
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.cairn.node.NodeMain",
                    "--id", Integer.toString(m.index + 1), "--data-dir", m.dataDir.toString(),
                    "--client-addr", m.clientAddress(), "--http-addr", "127.0.0.1:" + m.extraPort,
                    "--peers", peers.toString()));
            if (tokens != null) {
                cmd.addAll(List.of("--auth", "on", "--auth-token-file", tokens.toString()));
            }
            cmd.addAll(nodeFlags);
            m.command = cmd;
        }
    }

    /** A fourth member that joins through the leader (--join): a learner caught up by snapshot, then a voter. */
    @Override
    int startEmptyMember(int follower) throws IOException {
        int leader = leaderIndex();
        Member m = new Member(members.size(), base);
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        jvmFlags.forEach(f -> cmd.add(f.replace("{member}", Integer.toString(m.index + 1))));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.cairn.node.NodeMain",
                "--id", Integer.toString(m.index + 1), "--data-dir", m.dataDir.toString(),
                "--client-addr", m.clientAddress(), "--http-addr", "127.0.0.1:" + m.extraPort,
                "--peer-addr", "127.0.0.1:" + m.peerPort, "--join", members.get(Math.max(leader, 0)).clientAddress()));
        cmd.addAll(nodeFlags);
        m.command = cmd;
        members.add(m);
        launch(m);
        return m.index;
    }

    /** A backup through the SNAPSHOT verb (what `cairn snapshot save` does), without the history. */
    @Override
    SnapshotTaken snapshot() {
        CountingStream out = new CountingStream();
        try (CairnClient c = cairnClient()) {
            long t0 = System.nanoTime();
            CairnClient.Backup b = c.snapshot(out, false, Duration.ofMinutes(10));
            return new SnapshotTaken((System.nanoTime() - t0) / 1e6, b.bytes(), "SNAPSHOT verb (cairn snapshot save), no history");
        }
    }

    @Override
    int leaderIndex() {
        for (Member m : members) {
            long leader = m.alive() ? leaderSeenBy(m) : 0;
            if (leader != 0 && members.get((int) leader - 1).alive()) {
                return (int) leader - 1;
            }
        }
        return -1;
    }

    @Override
    boolean allInCluster() {
        long leader = 0;
        for (Member m : members) {
            long l = m.alive() ? leaderSeenBy(m) : 0;
            if (l == 0 || (leader != 0 && l != leader)) {
                return false;
            }
            leader = l;
        }
        return true;
    }

    /** The member (1-based) that {@code m}'s status names as leader; 0 when none, or when {@code m} does not answer. */
    private long leaderSeenBy(Member m) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.extraPort + "/v1/status"))
                    .timeout(Duration.ofMillis(500)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher x = LEADER.matcher(r.body());
            return r.statusCode() == 200 && x.find() ? Long.parseLong(x.group(1)) : 0;
        } catch (IOException e) {
            return 0; // not up yet, or just killed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    @Override
    StoreClient client(int preferredMember) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            order.add((preferredMember + i) % MEMBERS);
        }
        return client(order);
    }

    /** Cairn's own client on every member, for what StoreClient does not say (reads at a revision). */
    CairnClient cairnClient() {
        StringJoiner endpoints = new StringJoiner(",");
        members.forEach(m -> endpoints.add(m.clientAddress()));
        return CairnClient.builder().endpoints(endpoints.toString()).requestTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    StoreClient client(List<Integer> memberIndexes) {
        StringJoiner endpoints = new StringJoiner(",");
        memberIndexes.forEach(i -> endpoints.add(members.get(i).clientAddress()));
        CairnClient.Builder b = CairnClient.builder().endpoints(endpoints.toString())
                .requestTimeout(Duration.ofSeconds(5)).connectTimeout(Duration.ofSeconds(1));
        if (tokens != null) {
            b.token(() -> BENCH_TOKEN);
        }
        return new CairnStoreClient(b.build());
    }
}
