package io.cairn.node.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.testing.TestCluster;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Msg.Compare;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.Txn;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A schema written through one member holds on every member, for every interface that writes:
 * SET, TXN (either branch), an ephemeral SET of a session, and the HTTP gateway's PUT. A refused
 * value is never proposed: the revision does not move and no watcher sees it.
 */
class SchemaClusterTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static TestCluster cluster;
    private static int tags;

    @BeforeAll
    static void start() throws Exception {
        cluster = TestCluster.start(AuthConfig.OFF);
        try (WireClient c = client(0)) {
            Response schema = TestCluster.untilAvailable(() -> set(c, "/ctl/schema/pay-limits", SchemasTest.LIMITS));
            assertThat(schema.hasErrCode()).as("%s: %s", schema.getErrCode(), schema.getErrDetail()).isFalse();
            Response value = TestCluster.untilAvailable(() -> set(c, "/config/pay/limits", "{\"max\": 10}"));
            assertThat(value.hasErrCode()).as("%s: %s", value.getErrCode(), value.getErrDetail()).isFalse();
        }
        // Every member has applied the schema before the tests write through them.
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (int i = 0; i < 3; i++) {
            try (WireClient c = client(i)) {
                while (c.call(Request.newBuilder().setTag(++tags).setVerb(Verb.GET).setPath("/config/pay/limits").build()).getRev() == 0) {
                    assertThat(System.nanoTime()).isLessThan(until);
                    Thread.sleep(10);
                }
            }
        }
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static WireClient client(int member) {
        return new WireClient(cluster.member(member).clientAddress());
    }

    static Response call(WireClient c, Request.Builder r) {
        return c.call(r.setTag(++tags).build());
    }

    static Response set(WireClient c, String path, String value) {
        return call(c, Request.newBuilder().setVerb(Verb.SET).setPath(path).setValue(ByteString.copyFromUtf8(value)).setRev(-1));
    }

    static long rev(WireClient c) {
        return call(c, Request.newBuilder().setVerb(Verb.REV)).getRev();
    }

    static void assertRefused(Response r, String path) {
        assertThat(r.getErrCode()).as(r.toString()).isEqualTo(Response.Err.INVALID);
        assertThat(r.getErrDetail()).startsWith(path + ": refused by schema pay-limits (/ctl/schema/pay-limits, for /config/pay/**)");
    }

    @Test
    void setIsRefusedOnEveryMemberAndNothingIsProposed() {
        for (int i = 0; i < 3; i++) {
            try (WireClient c = client(i)) {
                long before = rev(c);
                String value = call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/config/pay/limits")).getValue().toStringUtf8();
                assertRefused(set(c, "/config/pay/limits", "{\"max\": \"lots\"}"), "/config/pay/limits");
                assertRefused(set(c, "/config/pay/new", "max=3"), "/config/pay/new");
                assertThat(rev(c)).as("member %d", i + 1).isEqualTo(before);
                assertThat(call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/config/pay/limits")).getValue().toStringUtf8())
                        .isEqualTo(value);
                // Outside the schema's glob anything goes; inside, a good value goes through.
                assertThat(set(c, "/config/shop/limits", "max=3").hasErrCode()).isFalse();
                assertThat(set(c, "/config/pay/limits", "{\"max\": " + (11 + i) + "}").hasErrCode()).isFalse();
            }
        }
    }

    @Test
    void aTransactionIsRefusedWhicheverBranchHoldsTheBadValue() {
        try (WireClient c = client(1)) {
            Compare exists = Compare.newBuilder().setPath("/config/pay/limits").setTarget(Compare.Target.EXISTS)
                    .setOp(Compare.Op.EQUAL).setExists(true).build();
            Op good = Op.newBuilder().setKind(Op.Kind.SET).setPath("/config/pay/a").setValue(ByteString.copyFromUtf8("{\"max\":1}")).build();
            Op bad = Op.newBuilder().setKind(Op.Kind.SET).setPath("/config/pay/b").setValue(ByteString.copyFromUtf8("{\"max\":-1}")).build();
            long before = rev(c);
            assertRefused(call(c, Request.newBuilder().setVerb(Verb.TXN).setTxn(Txn.newBuilder().addCompare(exists)
                    .addSuccess(good).addSuccess(bad))), "/config/pay/b");
            // The failure branch would not run, but a value the cluster would refuse is refused wherever it stands.
            assertRefused(call(c, Request.newBuilder().setVerb(Verb.TXN).setTxn(Txn.newBuilder().addCompare(exists)
                    .addSuccess(good).addFailure(bad))), "/config/pay/b");
            assertThat(rev(c)).isEqualTo(before);
            assertThat(call(c, Request.newBuilder().setVerb(Verb.GET).setPath("/config/pay/a")).getRev()).isZero();
            Response ok = call(c, Request.newBuilder().setVerb(Verb.TXN).setTxn(Txn.newBuilder().addCompare(exists).addSuccess(good)));
            assertThat(ok.hasErrCode()).as(ok.getErrDetail()).isFalse();
        }
    }

    @Test
    void anEphemeralFileOfASessionIsChecked() {
        try (WireClient c = client(2)) {
            Response open = call(c, Request.newBuilder().setVerb(Verb.SESSION_OPEN).setTtlMs(5_000));
            assertThat(open.hasErrCode()).isFalse();
            assertRefused(call(c, Request.newBuilder().setVerb(Verb.SET).setPath("/config/pay/mine")
                    .setValue(ByteString.copyFromUtf8("{}")).setRev(-1).setSession(open.getSession())), "/config/pay/mine");
            call(c, Request.newBuilder().setVerb(Verb.SESSION_CLOSE).setSession(open.getSession()));
        }
    }

    @Test
    void theHttpGatewayRefusesWithTheSchemasMessage() throws Exception {
        String base = "http://127.0.0.1:" + cluster.member(2).httpAddress().getPort();
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/config/pay/limits"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"max\": 2.5}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(400);
        assertThat(put.body()).contains("refused by schema pay-limits").contains("integer");
        HttpResponse<String> good = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/config/pay/limits"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"max\": 3}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(good.statusCode()).isEqualTo(200);
    }

    @Test
    void aBadSchemaIsRefusedAndARemovedOneNoLongerHolds() throws Exception {
        try (WireClient c = client(1)) {
            Response bad = set(c, "/ctl/schema/broken", "{\"path\":\"/config/x/**\",\"schema\":{\"type\":\"objekt\"}}");
            assertThat(bad.getErrCode()).isEqualTo(Response.Err.INVALID);
            assertThat(bad.getErrDetail()).startsWith("schema /ctl/schema/broken: not a JSON Schema");
            assertThat(set(c, "/ctl/schema/strings", "{\"path\":\"/config/str/*\",\"schema\":{\"type\":\"string\"}}").hasErrCode()).isFalse();
            awaitRefused(0, "/config/str/a", "7");
            assertThat(call(c, Request.newBuilder().setVerb(Verb.DEL).setPath("/ctl/schema/strings").setRev(-1)).hasErrCode()).isFalse();
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            try (WireClient other = client(0)) {
                while (set(other, "/config/str/a", "7").hasErrCode()) {
                    assertThat(System.nanoTime()).as("the schema's removal reaches member 1").isLessThan(until);
                    Thread.sleep(10);
                }
            }
        }
    }

    /** Waits until member {@code m} has applied a schema that refuses {@code value} at {@code path}. */
    static void awaitRefused(int m, String path, String value) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        try (WireClient c = client(m)) {
            while (!set(c, path, value).hasErrCode()) {
                assertThat(System.nanoTime()).as("the schema reaches member %d", m + 1).isLessThan(until);
                Thread.sleep(10);
            }
        }
    }
}
