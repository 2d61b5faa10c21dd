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

    /** A fourth member: added through the cluster API (member add), then started into the existing cluster. */
    @Override
    int startEmptyMember(int follower) throws Exception {
        Member m = new Member(members.size(), base);
        addMember(url(m.peerPort));
        members.add(m);
        StringJoiner cluster = new StringJoiner(",");
        members.forEach(x -> cluster.add("m" + (x.index + 1) + "=" + url(x.peerPort)));
        m.command = List.of(etcd, "--name", "m" + (m.index + 1), "--data-dir", m.dataDir.toString(),
                "--listen-client-urls", url(m.clientPort), "--advertise-client-urls", url(m.clientPort),
                "--listen-peer-urls", url(m.peerPort), "--initial-advertise-peer-urls", url(m.peerPort),
                "--initial-cluster", cluster.toString(), "--initial-cluster-token", "cairn-bench",
                "--initial-cluster-state", "existing");
        launch(m);
        return m.index;
    }

    /**
     * etcd refuses a member add ("unhealthy cluster") until every member has been connected for its
     * health interval (5 s): a follower restarted just before is not counted yet. Asked again
     * every half second, for at most a minute.
     */
    private void addMember(String peerUrl) throws Exception {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            try {
                statusClient().getClusterClient().addMember(List.of(java.net.URI.create(peerUrl))).get(30, TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                if (System.nanoTime() > end || String.valueOf(e.getCause()).indexOf("unhealthy cluster") < 0) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }

    /** The maintenance API's snapshot (what `etcdctl snapshot save` does): the member's whole database. */
    @Override
    SnapshotTaken snapshot() throws Exception {
        CountingStream out = new CountingStream();
        long t0 = System.nanoTime();
        long bytes = statusClient().getMaintenanceClient().snapshot(out).get(10, TimeUnit.MINUTES);
        return new SnapshotTaken((System.nanoTime() - t0) / 1e6, bytes, "maintenance snapshot (etcdctl snapshot save)");
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
            StatusResponse s = status(m);
            ids.add(s == null ? -1 : s.getHeader().getMemberId());
            if (s != null && leader == 0) {
                leader = s.getLeader();
            }
        }
        int index = leader == 0 ? -1 : ids.indexOf(leader);
        return index >= 0 && members.get(index).alive() ? index : -1;
    }

    @Override
    boolean allInCluster() {
        long leader = 0;
        for (Member m : members) {
            StatusResponse s = status(m);
            if (s == null || s.getLeader() == 0 || (leader != 0 && s.getLeader() != leader)) {
                return false;
            }
            leader = s.getLeader();
        }
        return true;
    }

    /** {@code m}'s own status, or null when it is down or does not answer within 500 ms. */
    private StatusResponse status(Member m) {
        if (!m.alive()) {
            return null;
        }
        try {
            return statusClient().getMaintenanceClient().statusMember(url(m.clientPort)).get(500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null; // not up yet, or just killed
        }
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
