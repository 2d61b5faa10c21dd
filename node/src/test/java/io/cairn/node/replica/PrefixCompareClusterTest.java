package io.cairn.node.replica;

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
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A PREFIX_REV compare on three members: proposed once every member is known to have protocol
 * version 2, it fails a transaction when anything under the prefix changed after the revision
 * (a file created, which a per-file compare cannot see) and holds otherwise.
 */
class PrefixCompareClusterTest {
    private int tags;

    private Response call(WireClient c, Request.Builder r) {
        return c.call(r.setTag(++tags).build());
    }

    private long set(WireClient c, String path) {
        Response r = call(c, Request.newBuilder().setVerb(Verb.SET).setPath(path).setValue(ByteString.copyFromUtf8("v")).setRev(-1));
        assertThat(r.hasErrCode()).as(r.getErrDetail()).isFalse();
        return r.getRev();
    }

    private Response guarded(WireClient c, long rev) {
        return call(c, Request.newBuilder().setVerb(Verb.TXN).setTxn(Txn.newBuilder()
                .addCompare(Compare.newBuilder().setPath("/p").setTarget(Compare.Target.PREFIX_REV).setOp(Compare.Op.EQUAL).setRev(rev))
                .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/p/done").setValue(ByteString.copyFromUtf8("yes")))));
    }

    @Test
    void aFileCreatedUnderThePrefixFailsTheGuard() throws Exception {
        try (TestCluster cluster = TestCluster.start(AuthConfig.OFF); WireClient c = new WireClient(cluster.member(1).clientAddress())) {
            long looked = set(c, "/p/a");
            // Until the member has heard its leader say every member is at version 2, it refuses the compare unproposed.
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            Response r = guarded(c, 0);
            while (r.getErrCode() == Response.Err.UNAVAILABLE && r.getErrDetail().contains("PREFIX_REV")) {
                assertThat(System.nanoTime()).as("the cluster version reaches member 2").isLessThan(until);
                Thread.sleep(20);
                r = guarded(c, 0);
            }
            assertThat(r.hasErrCode()).as(r.getErrDetail()).isFalse();
            assertThat(r.getTxn().getSucceeded()).as("/p changed after rev 0").isFalse();
            long created = set(c, "/p/new");
            Response stale = guarded(c, looked);
            assertThat(stale.hasErrCode()).as(stale.getErrDetail()).isFalse();
            assertThat(stale.getTxn().getSucceeded()).as("a file created under /p after the look").isFalse();
            set(c, "/q/elsewhere");
            Response fresh = guarded(c, created);
            assertThat(fresh.getTxn().getSucceeded()).as("nothing under /p changed after " + created).isTrue();
        }
    }
}
