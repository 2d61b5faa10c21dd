package io.cairn.testing.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.testing.process.ProcessCluster.Member;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Membership with real processes: a fourth member joins as a learner, catches up and is
 * promoted; the leader is removed (handing over first); a member restarts and keeps the
 * membership it learned from the log; writes go on throughout and nothing is lost.
 */
class MembershipProcessTest {
    private static List<MemberInfo> awaitMembers(CairnClient c, Predicate<List<MemberInfo>> ok) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<MemberInfo> last = List.of();
        while (System.nanoTime() < end) {
            try {
                last = c.members();
                if (ok.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                // an election may be under way
            }
            Thread.sleep(100);
        }
        throw new AssertionError("membership never became as expected; last seen: " + last);
    }

    /** A clobbering write is safe to repeat when its outcome was unknown (a leader change at start-up). */
    private static void setRetrying(CairnClient c, String path, String value) throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                c.set(path, value, -1);
                return;
            } catch (io.cairn.client.UnavailableException e) {
                if (attempt > 20) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    @Test
    void joinPromoteRemoveLeaderRestart() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(3);
                CairnClient c = CairnClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(5)).build()) {
            for (int i = 0; i < 50; i++) {
                setRetrying(c, "/m/k" + i, "v" + i);
            }
            Member joiner = cluster.join(4, cluster.member(1));
            List<MemberInfo> four = awaitMembers(c, l -> l.size() == 4 && l.stream().noneMatch(MemberInfo::getLearner));
            assertThat(four).extracting(MemberInfo::getId).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
            try (CairnClient viaJoiner = CairnClient.builder().endpoints(joiner.endpoint()).requestTimeout(Duration.ofSeconds(5)).build()) {
                // The new member holds the data written before it joined, and serves reads.
                assertThat(viaJoiner.get("/m/k7").text()).isEqualTo("v7");
                assertThat(viaJoiner.get("/ctl/members/4").text()).contains("\"role\":\"voter\"");
            }

            // Remove the leader through another member: it hands over first, then goes.
            long leader = cluster.awaitLeader(Duration.ofSeconds(10));
            Member other = cluster.members().stream().filter(m -> m.id != leader).findFirst().orElseThrow();
            try (CairnClient viaOther = CairnClient.builder().endpoints(other.endpoint()).requestTimeout(Duration.ofSeconds(10)).build()) {
                viaOther.changeMember(Verb.MEMBER_REMOVE, MemberInfo.newBuilder().setId(leader).build());
                List<MemberInfo> three = awaitMembers(viaOther, l -> l.size() == 3 && l.stream().anyMatch(MemberInfo::getLeader));
                assertThat(three).extracting(MemberInfo::getId).doesNotContain(leader);
                setRetrying(viaOther, "/m/after-remove", "yes");
                assertThat(viaOther.get("/m/after-remove").text()).isEqualTo("yes");
                assertThat(viaOther.get("/ctl/members/" + leader).exists()).isFalse();
            }
            cluster.kill(cluster.member(leader));

            // A surviving member restarts and keeps the membership it learned from the log.
            long newLeader = cluster.awaitLeader(Duration.ofSeconds(10));
            Member follower = cluster.members().stream().filter(m -> m.id != leader && m.id != newLeader).findFirst().orElseThrow();
            cluster.kill(follower);
            cluster.launch(follower);
            try (CairnClient viaRestarted = CairnClient.builder().endpoints(follower.endpoint()).requestTimeout(Duration.ofSeconds(10)).build()) {
                List<MemberInfo> after = awaitMembers(viaRestarted, l -> l.size() == 3 && l.stream().anyMatch(MemberInfo::getLeader));
                assertThat(after).extracting(MemberInfo::getId).doesNotContain(leader);
                assertThat(viaRestarted.get("/m/after-remove").text()).isEqualTo("yes");
                for (int i = 0; i < 50; i++) {
                    assertThat(viaRestarted.get("/m/k" + i).text()).isEqualTo("v" + i);
                }
            }
        }
    }
}
