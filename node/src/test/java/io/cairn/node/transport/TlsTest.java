package io.cairn.node.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.net.TlsConfig;
import io.cairn.node.CairnNode;
import io.cairn.node.NodeConfig;
import io.cairn.node.replica.Replica;
import io.cairn.node.store.StoreConfig;
import io.cairn.node.testing.TempDirs;
import io.cairn.node.testing.TestCerts;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Members over TLS: peers authenticate each other, clients are checked, HTTPS keeps probes open, renewals load. */
class TlsTest {
    private static TestCerts ca;
    private final List<CairnNode> nodes = new ArrayList<>();

    @BeforeAll
    static void certificates() {
        ca = TestCerts.newCa("cairn-test-ca");
    }

    @AfterEach
    void stop() {
        nodes.forEach(CairnNode::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Response call(WireClient c, Request.Builder r) {
        return c.call(r.setTag(1).build());
    }

    private List<CairnNode> cluster(List<TlsConfig> certs) throws Exception {
        Map<Long, InetSocketAddress> peers = new TreeMap<>();
        for (long i = 1; i <= certs.size(); i++) {
            peers.put(i, new InetSocketAddress("127.0.0.1", freePort()));
        }
        List<CairnNode> out = new ArrayList<>();
        for (long i = 1; i <= certs.size(); i++) {
            CairnNode n = CairnNode.start(new NodeConfig(i, TempDirs.create("cairn-tls"),
                    new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0), peers.get(i), peers,
                    StoreConfig.defaults(), Replica.Options.defaults(), null,
                    new NodeConfig.Tls(certs.get((int) i - 1), true)));
            nodes.add(n);
            out.add(n);
        }
        return out;
    }

    private CairnNode single(TlsConfig cert) throws Exception {
        CairnNode n = CairnNode.start(NodeConfig.single(1, TempDirs.create("cairn-tls"),
                new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0), StoreConfig.defaults())
                .withTls(new NodeConfig.Tls(cert, true)));
        nodes.add(n);
        assertThat(n.awaitReady(Duration.ofSeconds(10))).isTrue();
        return n;
    }

    private static long awaitLeader(CairnNode n) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (n.leader() == 0 && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return n.leader();
    }

    @Test
    void aClusterReplicatesOverMutualTlsAndServesOnlyCertifiedClients() throws Exception {
        List<CairnNode> members = cluster(List.of(ca.member("m1"), ca.member("m2"), ca.member("m3")));
        long leader = awaitLeader(members.get(0));
        assertThat(leader).as("a leader elected over TLS").isNotZero();
        CairnNode follower = members.stream().filter(n -> n.id() != leader).findFirst().orElseThrow();
        SSLContext client = ca.client("app").jdkClientContext();
        try (WireClient c = new WireClient(follower.clientAddress(), client)) {
            // Forwarded to the leader over the peer link and chosen by a quorum: both over TLS.
            Response w = call(c, Request.newBuilder().setVerb(Verb.SET).setPath("/tls/a").setValue(ByteString.copyFromUtf8("1")).setRev(-1));
            assertThat(w.hasErrCode()).as(w.getErrDetail()).isFalse();
            assertThat(call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/tls/a")).getValue().toStringUtf8()).isEqualTo("1");
        }
        // No client certificate: the member refuses the connection.
        assertThatThrownBy(() -> {
            try (WireClient c = new WireClient(follower.clientAddress(), ca.anonymous().jdkClientContext())) {
                call(c, Request.newBuilder().setVerb(Verb.REV));
            }
        }).isInstanceOf(UncheckedIOException.class);
        // Plain TCP to a TLS port gets nothing and a closed connection.
        try (WireClient c = new WireClient(follower.clientAddress())) {
            c.send(Request.newBuilder().setVerb(Verb.REV).setTag(1).build());
            assertThat(c.closedByServer()).isTrue();
        }
        // A client that trusts another CA does not accept the member.
        TestCerts other = TestCerts.newCa("other-ca");
        assertThatThrownBy(() -> new WireClient(follower.clientAddress(), other.client("app").jdkClientContext()))
                .hasMessageContaining("PKIX");
    }

    @Test
    void aMemberWithACertificateFromAnotherCaIsKeptOut() throws Exception {
        TestCerts other = TestCerts.newCa("intruder-ca");
        List<CairnNode> members = cluster(List.of(ca.member("m1"), ca.member("m2"), other.member("m3")));
        long leader = awaitLeader(members.get(0));
        assertThat(leader).as("members 1 and 2 are a quorum").isIn(1L, 2L);
        CairnNode inLeader = members.get((int) leader - 1);
        try (WireClient c = new WireClient(inLeader.clientAddress(), ca.client("app").jdkClientContext())) {
            Response w = call(c, Request.newBuilder().setVerb(Verb.SET).setPath("/tls/b").setValue(ByteString.copyFromUtf8("2")).setRev(-1));
            assertThat(w.hasErrCode()).as(w.getErrDetail()).isFalse();
        }
        // Member 3 can neither reach the others nor be reached: it never hears of a leader.
        Thread.sleep(1000);
        assertThat(members.get(2).leader()).isZero();
        assertThat(members.get(2).ready()).isFalse();
    }

    @Test
    void httpsKeepsProbesAndMetricsOpenAndTheDataBehindClientCertificates() throws Exception {
        CairnNode n = single(ca.member("solo"));
        String base = "https://127.0.0.1:" + n.httpAddress().getPort();
        HttpClient anonymous = HttpClient.newBuilder().sslContext(ca.anonymous().jdkClientContext()).build();
        HttpClient certified = HttpClient.newBuilder().sslContext(ca.client("curl").jdkClientContext()).build();
        assertThat(get(anonymous, base + "/readyz").statusCode()).isEqualTo(200);
        assertThat(get(anonymous, base + "/metrics").statusCode()).isEqualTo(200);
        HttpResponse<String> refused = get(anonymous, base + "/v1/rev");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("PERMISSION_DENIED").contains("client certificate");
        HttpResponse<String> ok = get(certified, base + "/v1/rev");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"rev\"");
    }

    private static HttpResponse<String> get(HttpClient c, String url) throws Exception {
        return c.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aMemberJoinsOverTlsAndIsPromoted() throws Exception {
        // The first member needs a real peer port: the joiner learns it from the membership.
        CairnNode first = CairnNode.start(new NodeConfig(1, TempDirs.create("cairn-tls"),
                new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", freePort()), Map.of(), StoreConfig.defaults(),
                Replica.Options.defaults(), null, new NodeConfig.Tls(ca.member("first"), true)));
        nodes.add(first);
        assertThat(first.awaitReady(Duration.ofSeconds(10))).isTrue();
        CairnNode joiner = CairnNode.start(new NodeConfig(2, TempDirs.create("cairn-tls"),
                new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0), Map.of(), StoreConfig.defaults(), Replica.Options.defaults(),
                first.clientAddress(), new NodeConfig.Tls(ca.member("joiner"), true)));
        nodes.add(joiner);
        SSLContext client = ca.client("admin").jdkClientContext();
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<MemberInfo> members = List.of();
        while (System.nanoTime() < end) {
            try (WireClient c = new WireClient(first.clientAddress(), client)) {
                members = call(c, Request.newBuilder().setVerb(Verb.MEMBERS)).getMembersList();
            }
            if (members.size() == 2 && members.stream().noneMatch(MemberInfo::getLearner)) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(members).extracting(MemberInfo::getId).containsExactlyInAnyOrder(1L, 2L);
        assertThat(members).noneMatch(MemberInfo::getLearner);
    }

    @Test
    void aRenewedCertificateIsServedWithoutARestart() throws Exception {
        TlsConfig cert = ca.member("renewed");
        CairnNode n = single(cert);
        BigInteger first = servedSerial(n);
        ca.leaf("renewed", "dns:localhost,ip:127.0.0.1", "serverAuth,clientAuth"); // same files, new pair
        BigInteger now = first;
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (now.equals(first) && System.nanoTime() < end) {
            Thread.sleep(250);
            now = servedSerial(n);
        }
        assertThat(now).as("the new certificate, served by the same member").isNotEqualTo(first);
        // And clients with certificates are still served.
        try (WireClient c = new WireClient(n.clientAddress(), ca.client("after").jdkClientContext())) {
            assertThat(call(c, Request.newBuilder().setVerb(Verb.REV)).hasErrCode()).isFalse();
        }
    }

    private static BigInteger servedSerial(CairnNode n) throws Exception {
        SSLContext ctx = ca.client("probe").jdkClientContext();
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", n.clientAddress().getPort())) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }
}
