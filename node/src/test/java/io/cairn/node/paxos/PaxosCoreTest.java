package io.cairn.node.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.proto.Peer.ConfigChange;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.State.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The core on its own, for what the simulator's fixed three- and five-voter clusters do not reach. */
class PaxosCoreTest {

    @Test
    void aLoneVoterKeepsTakingProposalsAfterAMembershipChange() {
        PaxosCore core = new PaxosCore(PaxosConfig.of(1, Set.of(1L)), new Random(7));
        for (int i = 0; i < 100 && !core.isLeader(); i++) {
            core.tick();
        }
        assertThat(core.isLeader()).isTrue();
        List<SlotEntry> chosen = new ArrayList<>();
        Proposal addLearner = Proposal.newBuilder().setId(1).setConfig(ConfigChange.newBuilder()
                .setKind(ConfigChange.Kind.ADD_LEARNER).setMember(Member.newBuilder().setId(2).setPeerAddr("127.0.0.1:1"))).build();
        chosen.addAll(core.propose(List.of(addLearner)).committed);
        // A lone voter chooses the change at once; the next proposal must not wait for it forever.
        Proposal write = Proposal.newBuilder().setId(2).setCommand(Command.newBuilder().setSystem(true)).build();
        chosen.addAll(core.propose(List.of(write)).committed);
        Proposal promote = Proposal.newBuilder().setId(3).setConfig(ConfigChange.newBuilder()
                .setKind(ConfigChange.Kind.PROMOTE).setMember(Member.newBuilder().setId(2))).build();
        chosen.addAll(core.propose(List.of(promote)).committed);
        List<Long> ids = chosen.stream().flatMap(e -> e.getValue().getProposalsList().stream()).map(Proposal::getId).toList();
        assertThat(ids).containsExactly(1L, 2L, 3L);
        assertThat(core.voters()).containsExactlyInAnyOrder(1L, 2L);
    }
}
