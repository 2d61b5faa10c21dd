package io.cairn.node.paxos;

import io.cairn.proto.Peer.ConfigChange;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.Value;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who votes and who only learns, the quorum rule over the voters, and the membership changes
 * that move members between them (etcd-io/raft's quorum and confchange, in one). A change takes
 * effect on a member when the slot holding it is chosen; a leader proposes one change at a time,
 * nothing after it until it is chosen.
 */
final class Configuration {
    private final long self;
    private final TreeSet<Long> voters;
    private final TreeSet<Long> learners;
    /** The slot of the last change seen chosen (a snapshot's slot after a restart, as it may hold one). */
    private long lastChangeSlot;
    /** As leader: the change proposed and not yet chosen, which holds back every later proposal (0: none). */
    private long pendingSlot;
    /** As leader: every slot this leader gave a change to, not yet chosen (re-proposed ones included). */
    private final TreeSet<Long> changeSlots = new TreeSet<>();

    Configuration(long self, Set<Long> voters, Set<Long> learners) {
        this.self = self;
        this.voters = new TreeSet<>(voters);
        this.learners = new TreeSet<>(learners);
    }

    boolean isVoter(long node) {
        return voters.contains(node);
    }

    Set<Long> voters() {
        return Set.copyOf(voters);
    }

    Set<Long> learners() {
        return Set.copyOf(learners);
    }

    /** The voters in ascending order, for iterating in the same order everywhere. */
    Iterable<Long> voterList() {
        return voters;
    }

    int quorum() {
        return voters.size() / 2 + 1;
    }

    /** How many of {@code nodes} vote. */
    int countVoters(Collection<Long> nodes) {
        int n = 0;
        for (long v : nodes) {
            if (voters.contains(v)) {
                n++;
            }
        }
        return n;
    }

    boolean isQuorum(Collection<Long> nodes) {
        return countVoters(nodes) >= quorum();
    }

    /** Every member but this one, voters first: who hears the leader. */
    List<Long> others() {
        List<Long> all = new ArrayList<>();
        for (long v : voters) {
            if (v != self) {
                all.add(v);
            }
        }
        for (long l : learners) {
            if (l != self) {
                all.add(l);
            }
        }
        return all;
    }

    /** Takes on a membership wholesale (from a snapshot). */
    void reset(Set<Long> newVoters, Set<Long> newLearners) {
        voters.clear();
        voters.addAll(newVoters);
        learners.clear();
        learners.addAll(newLearners);
    }

    static boolean holdsChange(Value v) {
        for (Proposal p : v.getProposalsList()) {
            if (p.hasConfig()) {
                return true;
            }
        }
        return false;
    }

    /** Whether the proposal removes this member (and there is another voter to lead). */
    boolean removesSelf(Proposal p) {
        return p.hasConfig() && p.getConfig().getKind() == ConfigChange.Kind.REMOVE && p.getConfig().getMember().getId() == self
                && voters.size() > 1;
    }

    /** Applies the changes in a value chosen at {@code slot}; whether it held any. */
    boolean applyChosen(long slot, Value v) {
        boolean any = false;
        for (Proposal p : v.getProposalsList()) {
            if (!p.hasConfig()) {
                continue;
            }
            any = true;
            ConfigChange c = p.getConfig();
            long node = c.getMember().getId();
            switch (c.getKind()) {
                case ADD_LEARNER -> {
                    if (!voters.contains(node)) {
                        learners.add(node);
                    }
                }
                case PROMOTE -> {
                    learners.remove(node);
                    voters.add(node);
                }
                case REMOVE -> {
                    learners.remove(node);
                    voters.remove(node);
                }
                default -> { }
            }
        }
        if (any) {
            lastChangeSlot = slot;
            changeSlots.remove(slot);
        }
        return any;
    }

    long lastChangeSlot() {
        return lastChangeSlot;
    }

    /** After a restart from a snapshot through {@code slot}: the last change may be in it. */
    void restoredFrom(long slot) {
        lastChangeSlot = slot;
    }

    // ---- a leader's changes in flight -----------------------------------------------------

    /** A leader gave a change to {@code slot}; {@code holdsBack}: a new one, nothing goes after it until chosen. */
    void proposed(long slot, boolean holdsBack) {
        changeSlots.add(slot);
        if (holdsBack) {
            pendingSlot = slot;
        }
    }

    /** A change is in flight: propose nothing more. */
    boolean changePending() {
        return pendingSlot != 0;
    }

    /** The slot of the change in flight nearest before {@code slot}, or 0. */
    long changeBefore(long slot) {
        Long s = changeSlots.lower(slot);
        return s == null ? 0 : s;
    }

    /** The log is chosen through {@code chosenUpTo}: a change in flight at or before it no longer holds anything back. */
    void chosenThrough(long chosenUpTo) {
        if (pendingSlot != 0 && chosenUpTo >= pendingSlot) {
            pendingSlot = 0;
        }
    }

    /** A new leadership starts with no change of its own in flight. */
    void startLeading() {
        changeSlots.clear();
        pendingSlot = 0;
    }

    void stopLeading() {
        changeSlots.clear();
    }
}
