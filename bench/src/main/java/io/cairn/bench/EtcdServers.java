package io.cairn.bench;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * Three etcd members (Debian's {@code etcd-server}) with their defaults: fsync on, 100 ms
 * heartbeat, 1 s election timeout. The leader is read through jetcd's maintenance status.
 */
final class EtcdServers extends ServerGroup {
    private final String etcd;
    private Client statusClient;

    EtcdServers(String etcd) throws IOException {
        super("etcd");
        this.etcd = etcd;
    }

    private static String url(int port) {
        return "http://127.0.0.1:" + port;
    }

    @Override
    void configure() {
        StringJoiner cluster = new StringJoiner(",");
        members.forEach(m -> cluster.add("m" + (m.index + 1) + "=" + url(m.peerPort)));
        for (Member m : members) {
            m.command = List.of(etcd, "--name", "m" + (m.index + 1), "--data-dir", m.dataDir.toString(),
                    "--listen-client-urls", url(m.clientPort), "--advertise-client-urls", url(m.clientPort),
                    "--listen-peer-urls", url(m.peerPort), "--initial-advertise-peer-urls", url(m.peerPort),
                    "--initial-cluster", cluster.toString(), "--initial-cluster-token", "cairn-bench",
                    "--initial-cluster-state", "new");
        }
    }

    private synchronized Client statusClient() {
        if (statusClient == null) {
            statusClient = Client.builder().endpoints(members.stream().map(m -> url(m.clientPort)).toArray(String[]::new))
                    .connectTimeout(Duration.ofMillis(500)).build();
        }
        return statusClient;
    }

    @Override
    int leaderIndex() {
        List<Long> ids = new ArrayList<>();
        long leader = 0;
        for (Member m : members) {
            long id = -1;
            if (m.alive()) {
                try {
                    StatusResponse s = statusClient().getMaintenanceClient().statusMember(url(m.clientPort))
                            .get(500, TimeUnit.MILLISECONDS);
                    id = s.getHeader().getMemberId();
                    leader = leader == 0 ? s.getLeader() : leader;
                } catch (Exception e) {
                    // not up yet, or just killed
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                        return -1;
                    }
                }
            }
            ids.add(id);
        }
        int index = leader == 0 ? -1 : ids.indexOf(leader);
        return index >= 0 && members.get(index).alive() ? index : -1;
    }

    @Override
    StoreClient client(int preferredMember) {
        return client(List.of(preferredMember));
    }

    @Override
    StoreClient client(List<Integer> memberIndexes) {
        String[] endpoints = memberIndexes.stream().map(i -> url(members.get(i).clientPort)).toArray(String[]::new);
        return new EtcdStoreClient(Client.builder().endpoints(endpoints).connectTimeout(Duration.ofSeconds(1)).build());
    }

    @Override
    public void close() throws InterruptedException, IOException {
        if (statusClient != null) {
            statusClient.close();
        }
        super.close();
    }
}
