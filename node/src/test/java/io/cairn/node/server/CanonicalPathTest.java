package io.cairn.node.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.testing.TestNode;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Msg.Compare;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.Response.Err;
import io.cairn.proto.Msg.Txn;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A path is written only in its canonical form: "." and ".." segments are BAD_PATH for every way
 * a write comes in (SET, transactions in either branch, the HTTP gateway), and nothing changes.
 * `cairn set /config/demo/../escaped x` used to succeed, and the sidecar watching /config/demo
 * then stopped delivering config.
 */
class CanonicalPathTest {
    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static Response set(WireClient c, int tag, String path) {
        return c.call(Request.newBuilder().setTag(tag).setVerb(Verb.SET).setPath(path).setValue(ByteString.copyFromUtf8("x"))
                .setRev(-1).build());
    }

    private static long rev(WireClient c) {
        return c.call(Request.newBuilder().setTag(99).setVerb(Verb.REV).build()).getRev();
    }

    @Test
    void dotSegmentsAreRefusedOnEveryWriteAndChangeNothing() {
        try (WireClient c = new WireClient(node.clientAddress())) {
            long before = rev(c);
            for (String bad : new String[] {"/config/../x", "/config/demo/../escaped", "/config/./x", "/..", "/./a", "/a/.."}) {
                Response r = set(c, 1, bad);
                assertThat(r.getErrCode()).as(bad).isEqualTo(Err.BAD_PATH);
                assertThat(r.getErrDetail()).as(bad).contains("is not allowed");
            }
            Op badSet = Op.newBuilder().setKind(Op.Kind.SET).setPath("/txn/../x").setValue(ByteString.copyFromUtf8("x")).build();
            Op goodSet = Op.newBuilder().setKind(Op.Kind.SET).setPath("/txn/ok").setValue(ByteString.copyFromUtf8("x")).build();
            Compare never = Compare.newBuilder().setPath("/txn/none").setTarget(Compare.Target.EXISTS).setOp(Compare.Op.EQUAL)
                    .setExists(true).build();
            // In the branch not taken too: which branch runs is known only when the log applies it.
            for (Txn t : new Txn[] {Txn.newBuilder().addSuccess(goodSet).addSuccess(badSet).build(),
                    Txn.newBuilder().addCompare(never).addSuccess(goodSet).addFailure(badSet).build()}) {
                assertThat(c.call(Request.newBuilder().setTag(2).setVerb(Verb.TXN).setTxn(t).build()).getErrCode())
                        .isEqualTo(Err.BAD_PATH);
            }
            assertThat(rev(c)).as("no refused write made a revision").isEqualTo(before);
            // Names that only look like it are names.
            for (String fine : new String[] {"/config/.hidden", "/config/a..b", "/config/...", "/config/..x"}) {
                assertThat(set(c, 3, fine).hasErrCode()).as(fine).isFalse();
            }
        }
    }

    @Test
    void theHttpGatewayRefusesThemToo() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(node.httpBase() + "/v1/kv/config/../x"))
                .PUT(HttpRequest.BodyPublishers.ofString("1")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("BAD_PATH");
    }
}
