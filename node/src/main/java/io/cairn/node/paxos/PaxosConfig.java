package io.cairn.node.paxos;

import java.util.Set;

/**
 * How a core runs. Time is counted in ticks the driver delivers; randomness comes from the
 * driver too, so a simulation replays exactly.
 *
 * @param id this node
 * @param voters members whose acceptance counts toward a quorum (includes {@code id} unless it is a learner)
 * @param learners members that receive the log but do not vote
 * @param electionTicks ticks without a leader before an election; the actual timeout is drawn
 *     from [electionTicks, 2 × electionTicks)
 * @param heartbeatTicks ticks between a leader's heartbeats (and retransmissions)
 * @param window slots a leader keeps in flight at once
 * @param maxBatch proposals batched into one slot at most
 * @param catchUpBatch slots sent in one catch-up answer at most
 */
public record PaxosConfig(long id, Set<Long> voters, Set<Long> learners, int electionTicks, int heartbeatTicks,
        int window, int maxBatch, int catchUpBatch) {
    public PaxosConfig {
        if (id < 1) {
            throw new IllegalArgumentException("node id must be positive");
        }
        if (heartbeatTicks < 1 || electionTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("need 1 <= heartbeatTicks < electionTicks");
        }
        voters = Set.copyOf(voters);
        learners = Set.copyOf(learners);
    }

    public static PaxosConfig of(long id, Set<Long> voters) {
        return new PaxosConfig(id, voters, Set.of(), 10, 2, 64, 256, 256);
    }
}
