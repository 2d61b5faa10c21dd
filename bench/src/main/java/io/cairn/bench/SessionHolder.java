package io.cairn.bench;

import io.cairn.client.CairnClient;
import io.cairn.client.Session;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The sessions curve's client, a process of its own so that the benchmark can kill it with
 * SIGKILL: the sessions then end the way presence ends when a pod dies, by expiry, not by a
 * polite close. It opens N sessions (Cairn sessions, etcd leases, ZooKeeper sessions), each with
 * one ephemeral key under PREFIX, keeps them alive with each system's own client, prints
 * "ready" and waits; it ends by itself when its standard input closes (the benchmark is gone).
 *
 * <p>Usage: {@code SessionHolder SYSTEM ENDPOINTS N TTL_SECONDS PREFIX}, ENDPOINTS comma-separated host:port.
 */
public final class SessionHolder {
    private SessionHolder() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5 && args.length != 6) {
            System.err.println("usage: SessionHolder cairn|etcd|zookeeper HOST:PORT,... N TTL_SECONDS PREFIX [FIRST]");
            System.exit(2);
        }
        String system = args[0];
        String endpoints = args[1];
        int n = Integer.parseInt(args[2]);
        int ttl = Integer.parseInt(args[3]);
        String prefix = args[4];
        int first = args.length == 6 ? Integer.parseInt(args[5]) : 0; // the keys are PREFIX/sFIRST ... PREFIX/s(FIRST+N-1)
        byte[] value = "here".getBytes(StandardCharsets.UTF_8);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> opened = new ArrayList<>();
        switch (system) {
            case "cairn" -> {
                // A member takes at most 64 sessions on one connection (ServerLimits): a client, so a connection, for every 64.
                List<CairnClient> clients = new ArrayList<>();
                for (int i = 0; i < n; i += 64) {
                    clients.add(CairnClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(30)).build());
                }
                for (int i = 0; i < n; i++) {
                    String key = prefix + "/s" + (first + i);
                    CairnClient c = clients.get(i / 64);
                    opened.add(pool.submit(() -> {
                        Session s = c.openSession(Duration.ofSeconds(ttl));
                        s.set(key, value, -1);
                        return s;
                    }));
                }
            }
            case "etcd" -> {
                Client c = Client.builder().endpoints(java.util.Arrays.stream(endpoints.split(",")).map(e -> "http://" + e)
                        .toArray(String[]::new)).build();
                StreamObserver<LeaseKeepAliveResponse> ignore = new StreamObserver<>() {
                    @Override
                    public void onNext(LeaseKeepAliveResponse r) {
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                };
                for (int i = 0; i < n; i++) {
                    String key = prefix + "/s" + (first + i);
                    opened.add(pool.submit(() -> {
                        long lease = c.getLeaseClient().grant(ttl).get(30, TimeUnit.SECONDS).getID();
                        c.getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8), ByteSequence.from(value),
                                PutOption.builder().withLeaseId(lease).build()).get(30, TimeUnit.SECONDS);
                        return c.getLeaseClient().keepAlive(lease, ignore);
                    }));
                }
            }
            case "zookeeper" -> {
                for (int i = 0; i < n; i++) {
                    String key = prefix + "/s" + (first + i);
                    opened.add(pool.submit(() -> {
                        ZooKeeper zk = connected(endpoints, ttl * 1000);
                        try {
                            zk.create(prefix, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                        } catch (KeeperException.NodeExistsException made) {
                            // by another session first
                        }
                        zk.create(key, value, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
                        return zk;
                    }));
                }
            }
            default -> {
                System.err.println("SessionHolder: unknown system " + system);
                System.exit(2);
            }
        }
        try {
            for (Future<?> f : opened) {
                f.get(10, TimeUnit.MINUTES);
            }
        } catch (Exception e) {
            // One that fails ends the holder with its error (the clients' threads would keep it alive): the point is not measured.
            System.err.println("SessionHolder: " + (e.getCause() != null ? e.getCause() : e));
            System.exit(1);
        }
        pool.shutdown();
        System.out.println("ready " + n);
        System.out.flush();
        // Nothing is closed on purpose: the benchmark kills this process, and the sessions must expire.
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        System.exit(0);
    }

    private static ZooKeeper connected(String connect, int timeoutMs) throws Exception {
        CountDownLatch up = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connect, timeoutMs, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                up.countDown();
            }
        });
        if (!up.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("no ZooKeeper session with " + connect + " within 60 s");
        }
        return zk;
    }
}
