package io.cairn.node.paxos;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a leader knows of each other member (etcd-io/raft's progress tracker): when it last
 * answered, how far it says the log is chosen, and the last read round it confirmed. Kept for
 * one leadership; a new one starts from the promises that elected it.
 */
final class Progress {
    private final long self;
    private final Map<Long, Integer> lastHeard = new HashMap<>();
    /**
     * How far each member said the log is chosen, in a message it sent only once its records
     * were durable. For a slot holding a membership change that is a durable record of it: the
     * core records such a commit at once (see PaxosCore.checkChosen).
     */
    private final Map<Long, Long> chosen = new HashMap<>();
    private final Map<Long, Long> readAcked = new HashMap<>();

    Progress(long self) {
        this.self = self;
    }

    /** A new leadership: nothing heard yet; what each promiser said it knew chosen. */
    void startLeading(Map<Long, Long> chosenByPromiser) {
        lastHeard.clear();
        readAcked.clear();
        chosen.clear();
        chosenByPromiser.forEach((from, c) -> {
            if (from != self) {
                chosen.put(from, c);
            }
        });
    }

    void heard(long peer, int tick) {
        lastHeard.put(peer, tick);
    }

    /** This member and every other heard from within {@code window} ticks of {@code now}. */
    Set<Long> heardWithin(int now, int window) {
        Set<Long> recent = new HashSet<>();
        recent.add(self);
        for (Map.Entry<Long, Integer> e : lastHeard.entrySet()) {
            if (now - e.getValue() < window) {
                recent.add(e.getKey());
            }
        }
        return recent;
    }

    /** How far {@code peer} last said the log is chosen (-1: it has not said). */
    long chosen(long peer) {
        return chosen.getOrDefault(peer, -1L);
    }

    /** Records how far {@code peer} says the log is chosen; gives what it said before (-1: nothing). */
    long reportChosen(long peer, long chosenUpTo) {
        Long before = chosen.put(peer, chosenUpTo);
        return before == null ? -1 : before;
    }

    /** Whether {@code node} is known to hold the log chosen through {@code slot} (this member always is). */
    boolean knowsChosen(long node, long slot) {
        return node == self || chosen(node) >= slot;
    }

    /** The voter other than this one that said it knows the most of the log chosen, or 0. */
    long mostCaughtUp(Iterable<Long> voters) {
        long target = 0;
        long best = -1;
        for (long v : voters) {
            if (v != self) {
                long c = chosen(v);
                if (c > best) {
                    best = c;
                    target = v;
                }
            }
        }
        return target;
    }

    void readAcked(long peer, long seq) {
        readAcked.merge(peer, seq, Math::max);
    }

    /** This member and every other that confirmed read round {@code seq} or a later one. */
    Set<Long> confirmedRead(long seq) {
        Set<Long> confirmed = new HashSet<>();
        confirmed.add(self);
        for (Map.Entry<Long, Long> e : readAcked.entrySet()) {
            if (e.getValue() >= seq) {
                confirmed.add(e.getKey());
            }
        }
        return confirmed;
    }
}
