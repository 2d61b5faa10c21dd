package io.cairn.bench;

import io.cairn.client.CairnClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Three {@code cairn-node} JVMs started from the benchmark's own classpath, with the flags of
 * {@code bin/cairn-node}. The leader is read from each member's {@code /v1/status}.
 */
final class CairnServers extends ServerGroup {
    private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
    private final List<String> jvmFlags;

    CairnServers(List<String> jvmFlags) throws IOException {
        super("cairn");
        this.jvmFlags = jvmFlags;
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
            m.command = cmd;
        }
    }

    @Override
    int leaderIndex() {
        for (Member m : members) {
            if (!m.alive()) {
                continue;
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + m.extraPort + "/v1/status"))
                        .timeout(Duration.ofMillis(500)).build(), HttpResponse.BodyHandlers.ofString());
                Matcher x = LEADER.matcher(r.body());
                if (r.statusCode() == 200 && x.find() && Long.parseLong(x.group(1)) != 0) {
                    int leader = Integer.parseInt(x.group(1)) - 1;
                    if (members.get(leader).alive()) {
                        return leader;
                    }
                }
            } catch (IOException e) {
                // not up yet, or just killed: ask the next one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return -1;
    }

    @Override
    StoreClient client(int preferredMember) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            order.add((preferredMember + i) % MEMBERS);
        }
        return client(order);
    }

    @Override
    StoreClient client(List<Integer> memberIndexes) {
        StringJoiner endpoints = new StringJoiner(",");
        memberIndexes.forEach(i -> endpoints.add(members.get(i).clientAddress()));
        return new CairnStoreClient(CairnClient.builder().endpoints(endpoints.toString())
                .requestTimeout(Duration.ofSeconds(5)).connectTimeout(Duration.ofSeconds(1)).build());
    }
}
