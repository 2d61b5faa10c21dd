package io.cairn.node.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.node.Addresses;
import io.cairn.node.CairnNode;
import io.cairn.node.auth.AuthConfig;
import io.cairn.node.testing.TestCluster;
import io.cairn.node.testing.WireClient;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Msg.Response;
import io.cairn.proto.Msg.Txn;
import org.junit.jupiter.api.Test;

/**
 * A follower's answer to a write it forwarded names the leader's client address (what clients
 * send their writes to directly, CairnClient's WriteRoute); the leader's own answers and reads
 * name no one.
 */
class LeaderAddressTest {
    @Test
    void aFollowerNamesTheLeaderInItsAnswersToWrites() throws Exception {
        try (TestCluster cluster = TestCluster.start(AuthConfig.OFF)) {
            long leaderId = cluster.member(0).leader();
            CairnNode leader = cluster.members().stream().filter(n -> n.id() == leaderId).findFirst().orElseThrow();
            CairnNode follower = cluster.members().stream().filter(n -> n.id() != leaderId).findFirst().orElseThrow();
            String leaderAt = Addresses.show(leader.clientAddress());
            try (WireClient f = new WireClient(follower.clientAddress()); WireClient l = new WireClient(leader.clientAddress())) {
                // Members named by --peers record their client addresses under /ctl/members just
                // after they start: the follower names the leader once it has read the leader's.
                Response set = null;
                for (int i = 0; i < 200 && (set == null || !set.hasLeaderAddr()); i++) {
                    if (set != null) {
                        Thread.sleep(50);
                    }
                    set = f.call(Request.newBuilder().setTag(1).setVerb(Verb.SET).setPath("/a")
                            .setValue(ByteString.copyFromUtf8("1")).setRev(-1).build());
                    assertThat(set.hasErrCode()).isFalse();
                }
                assertThat(set.getLeaderAddr()).isEqualTo(leaderAt);
                // A write refused where it lands (a rev mismatch) was forwarded too.
                Response mismatch = f.call(Request.newBuilder().setTag(2).setVerb(Verb.SET).setPath("/a")
                        .setValue(ByteString.copyFromUtf8("2")).setRev(set.getRev() - 1).build());
                assertThat(mismatch.getErrCode()).isEqualTo(Response.Err.REV_MISMATCH);
                assertThat(mismatch.getLeaderAddr()).isEqualTo(leaderAt);
                Response txn = f.call(Request.newBuilder().setTag(3).setVerb(Verb.TXN).setTxn(Txn.newBuilder()
                        .addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath("/a"))).build());
                assertThat(txn.getLeaderAddr()).isEqualTo(leaderAt);
                Response read = f.call(Request.newBuilder().setTag(4).setVerb(Verb.GET).setPath("/a").build());
                assertThat(read.hasLeaderAddr()).as("a read").isFalse();

                Response direct = l.call(Request.newBuilder().setTag(1).setVerb(Verb.SET).setPath("/b")
                        .setValue(ByteString.copyFromUtf8("1")).setRev(-1).build());
                assertThat(direct.hasErrCode()).isFalse();
                assertThat(direct.hasLeaderAddr()).as("the leader's own answer").isFalse();
            }
        }
    }

    @Test
    void aWildcardAddressNamesNoOne() {
        assertThat(Addresses.isWildcard("0.0.0.0:8046")).isTrue();
        assertThat(Addresses.isWildcard("[::]:8046")).isTrue();
        assertThat(Addresses.isWildcard("cairn-0.cairn-peers.ns.svc:0")).isTrue();
        assertThat(Addresses.isWildcard("cairn-0.cairn-peers.ns.svc:8046")).isFalse();
        assertThat(Addresses.isWildcard("127.0.0.1:8046")).isFalse();
    }
}
