package io.cairn.node;

import io.cairn.net.TlsConfig;
import io.cairn.node.auth.AuthConfig;
import java.util.ArrayList;
import java.util.List;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code cairn-node}: starts one node and serves until interrupted. */
@Command(name = "cairn-node", mixinStandardHelpOptions = true, version = "cairn-node 0.1.0",
        description = "Runs a Cairn store member.")
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

    @Option(names = "--advertise-client-addr", paramLabel = "HOST:PORT",
            description = "The client address other members and clients are told (members list), when --client-addr"
                    + " is a wildcard such as 0.0.0.0; a name is kept as a name (default: --client-addr, or the bound address).")
    String advertiseClientAddr;

    @Option(names = "--advertise-http-addr", paramLabel = "HOST:PORT",
            description = "Likewise for the HTTP gateway (default: --http-addr, or the bound address).")
    String advertiseHttpAddr;

    @Option(names = "--peer-addr",
            description = "Peer protocol address when --peers is not given (default: this member's address in the"
                    + " membership it saved, cluster.pb, else none: a member alone binds no peer port unless given one).")
    String peerAddr;

    @Option(names = "--peers", paramLabel = "ID=HOST:PORT,...",
            description = "Every voting member's peer address, this one's included, e.g."
                    + " 1=127.0.0.1:8047,2=127.0.0.1:9047,3=127.0.0.1:10047. Without it the node is a cluster of one.")
    String peers;

    @Option(names = "--join", paramLabel = "HOST:PORT",
            description = "Join the cluster of the member whose client address this is: added as a learner,"
                    + " promoted to voter once caught up. Ignored once this member has joined.")
    String join;

    @Option(names = "--snapshot-every", defaultValue = "500000",
            description = "Log entries (writes) applied between snapshots (default ${DEFAULT-VALUE}); a member's first comes 0, 1 or 2 thirds early by member id, so members do not all snapshot at once.")
    long snapshotEvery;

    @Option(names = "--history", defaultValue = "100000",
            description = "Revisions kept readable and replayable to watchers (default ${DEFAULT-VALUE}).")
    long history;

    @Option(names = "--max-value-bytes", defaultValue = "1048576",
            description = "Largest value a file may hold (default ${DEFAULT-VALUE}).")
    int maxValueBytes;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM certificate (chain) this member serves clients, HTTP and peers with; with --tls-key and --tls-ca.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM PKCS#8 private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "PEM bundle of the CAs that sign members' (and, with --client-cert-auth, clients') certificates.")
    Path tlsCa;

    @Option(names = "--client-cert-auth",
            description = "Clients must show a certificate signed by --tls-ca (HTTP /healthz, /readyz and /metrics stay open).")
    boolean clientCertAuth;

    @Option(names = "--auth", paramLabel = "on|off", defaultValue = "off",
            description = "on: every request is checked against the policy under /ctl/acl (deny by default; admins"
                    + " named by --auth-admin may do everything); off: every client may do everything (a local dev"
                    + " cluster). Default: ${DEFAULT-VALUE}.")
    String auth;

    @Option(names = "--auth-admin", paramLabel = "IDENTITY",
            description = "An identity (certificate CN or URI SAN, token user, system:serviceaccount:NS:SA; * matches"
                    + " anything) that holds every right. Repeatable.")
    List<String> authAdmins = new ArrayList<>();

    @Option(names = "--auth-token-file", paramLabel = "FILE",
            description = "Static bearer tokens, one per line: TOKEN,NAME[,UID[,\"GROUP1,GROUP2\"]]; re-read when changed.")
    Path authTokenFile;

    @Option(names = "--auth-jwks", paramLabel = "FILE|URL",
            description = "The Kubernetes service-account issuer's public keys (JWKS), as a file, an http(s) URL (the API"
                    + " server's /openid/v1/jwks) or the issuer's .../.well-known/openid-configuration (OIDC discovery):"
                    + " service-account tokens are then accepted.")
    String authJwks;

    @Option(names = "--auth-jwks-token-file", paramLabel = "FILE",
            description = "A bearer token sent to fetch --auth-jwks (the member's own service-account token).")
    Path authJwksTokenFile;

    @Option(names = "--auth-jwks-ca", paramLabel = "FILE", description = "CA certificates (PEM) --auth-jwks is served under.")
    Path authJwksCa;

    @Option(names = "--auth-issuer", paramLabel = "ISSUER", description = "The iss a service-account token must name (default: any).")
    String authIssuer;

    @Option(names = "--join-token-file", paramLabel = "FILE",
            description = "With --join: a token (an admin's) this member shows to add and promote itself when the cluster"
                    + " runs with --auth on.")
    Path joinTokenFile;

    @Option(names = "--restore-from", paramLabel = "FILE",
            description = "With --peers, on the member's first start: begin as the backup in FILE (made by cairn snapshot save),"
                    + " at its revision, as cairn snapshot restore would. Ignored once the data dir holds a member.")
    Path restoreFrom;

    @Option(names = "--auth-audience", paramLabel = "AUDIENCE", defaultValue = AuthConfig.DEFAULT_AUDIENCE,
            description = "The audience a service-account token must be for. Default: ${DEFAULT-VALUE}.")
    String authAudience;

    public static void main(String[] args) {
        io.cairn.net.LogFormat.checkOrExit("cairn-node");
        io.cairn.net.DnsCache.keepAnswersBriefly();
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
        if (snapshotEvery < 1) {
            throw new ParameterException(spec.commandLine(), "--snapshot-every must be at least 1, got " + snapshotEvery);
        }
        Map<Long, InetSocketAddress> members = parsePeers();
        // Null: a restarted member listens where its saved membership says it is (CairnNode).
        InetSocketAddress myPeer = !members.isEmpty() ? members.get(id) : peerAddr == null ? null : parseAddr("--peer-addr", peerAddr);
        if (!members.isEmpty() && myPeer == null) {
            throw new ParameterException(spec.commandLine(), "--id " + id + " is not one of the members in --peers (" + peers + ")");
        }
        if (restoreFrom != null) {
            if (members.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--restore-from needs --peers: every member of the new cluster"
                        + " is restored with the same members");
            }
            if (java.nio.file.Files.exists(dataDir.resolve("cluster.pb"))) {
                System.err.println("cairn-node: member " + id + ": " + dataDir + " already holds a member; --restore-from "
                        + restoreFrom + " is not applied again");
            } else {
                Map<Long, String> named = new TreeMap<>();
                members.forEach((m, a) -> named.put(m, a.getHostString() + ":" + a.getPort()));
                try {
                    Restore.Result r = Restore.into(restoreFrom, dataDir, id, named);
                    System.err.println("cairn-node: member " + id + ": restored rev " + r.rev() + " (" + r.files() + " files, sha256 "
                            + r.sha256() + ") from " + restoreFrom);
                } catch (java.io.IOException | IllegalArgumentException e) {
                    System.err.println("cairn-node: member " + id + ": cannot restore from " + restoreFrom + ": " + e.getMessage());
                    return 1;
                }
            }
            // Started from here as a restarted member: its membership is in the data directory now.
            members = Map.of();
            myPeer = null;
        }
        Replica.Options d = Replica.Options.defaults();
        NodeConfig config = new NodeConfig(id, dataDir,
                parseAddr("--client-addr", clientAddr), parseAddr("--http-addr", httpAddr), myPeer, members,
                new StoreConfig(history, maxValueBytes),
                new Replica.Options(d.tickMs(), d.electionTicks(), d.heartbeatTicks(), d.window(), d.maxBatch(),
                        snapshotEvery, d.requestTimeoutMs()),
                join == null ? null : parseAddr("--join", join));
        if (join != null && peers != null) {
            throw new ParameterException(spec.commandLine(), "--join and --peers do not go together: a joining member learns the members");
        }
        config = config.withTls(tls()).withAuth(authConfig()).withAdvertised(
                advertiseClientAddr == null ? null : parseAddr("--advertise-client-addr", advertiseClientAddr),
                advertiseHttpAddr == null ? null : parseAddr("--advertise-http-addr", advertiseHttpAddr));
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

    /** How clients are identified and whether the policy is enforced, from the --auth flags. */
    private AuthConfig authConfig() {
        if (!auth.equals("on") && !auth.equals("off")) {
            throw new ParameterException(spec.commandLine(), "--auth must be on or off, got \"" + auth + "\"");
        }
        for (Path f : java.util.Arrays.asList(authTokenFile, authJwksTokenFile, authJwksCa, joinTokenFile)) {
            if (f != null && !java.nio.file.Files.isReadable(f)) {
                throw new ParameterException(spec.commandLine(), f + " (an --auth file) cannot be read");
            }
        }
        if (authJwks != null && !authJwks.startsWith("http://") && !authJwks.startsWith("https://")
                && !java.nio.file.Files.isReadable(Path.of(authJwks))) {
            throw new ParameterException(spec.commandLine(), "--auth-jwks " + authJwks + " is neither an http(s) URL nor a readable file");
        }
        if (auth.equals("on") && authTokenFile == null && authJwks == null && !clientCertAuth) {
            throw new ParameterException(spec.commandLine(), "--auth on needs a way to tell clients apart: --client-cert-auth,"
                    + " --auth-token-file or --auth-jwks, and an --auth-admin to write the first rules");
        }
        return new AuthConfig(auth.equals("on"), authAdmins, authTokenFile, authJwks, authJwksTokenFile, authJwksCa,
                authIssuer, authAudience, joinTokenFile);
    }

    /** The member's TLS from the flags, or null without any: all three files, or none. */
    private NodeConfig.Tls tls() {
        if (tlsCert == null && tlsKey == null && tlsCa == null) {
            if (clientCertAuth) {
                throw new ParameterException(spec.commandLine(), "--client-cert-auth needs TLS: give --tls-cert, --tls-key and --tls-ca");
            }
            return null;
        }
        java.util.List<String> missing = new java.util.ArrayList<>();
        if (tlsCert == null) {
            missing.add("--tls-cert");
        }
        if (tlsKey == null) {
            missing.add("--tls-key");
        }
        if (tlsCa == null) {
            missing.add("--tls-ca");
        }
        if (!missing.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "TLS needs all of --tls-cert, --tls-key and --tls-ca (peers check"
                    + " each other's certificates against the CA); missing " + String.join(", ", missing));
        }
        try {
            return new NodeConfig.Tls(TlsConfig.files(tlsCert, tlsKey, tlsCa), clientCertAuth);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private Map<Long, InetSocketAddress> parsePeers() {
        Map<Long, InetSocketAddress> out = new TreeMap<>();
        if (peers == null || peers.isBlank()) {
            return out;
        }
        for (String part : peers.split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new ParameterException(spec.commandLine(), "--peers entries are ID=HOST:PORT, got \"" + p + "\"");
            }
            long peerId;
            try {
                peerId = Long.parseLong(p.substring(0, eq));
            } catch (NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), "--peers has a bad member id in \"" + p + "\"");
            }
            if (peerId < 1) {
                throw new ParameterException(spec.commandLine(), "--peers member ids must be positive, got " + peerId);
            }
            if (out.put(peerId, parseAddr("--peers", p.substring(eq + 1))) != null) {
                throw new ParameterException(spec.commandLine(), "--peers names member " + peerId + " twice");
            }
        }
        return out;
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
        // Unresolved: a peer's name may resolve only once its pod has an address, and to a new
        // one after each restart; it is resolved when bound or dialled.
        return InetSocketAddress.createUnresolved(host, port);
    }
}
