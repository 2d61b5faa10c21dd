package io.cairn.testing.sim;

import io.cairn.net.Causes;
import io.cairn.node.store.Err;
import io.cairn.node.store.StoreException;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request.Verb;
import io.cairn.proto.Peer.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/**
 * An operator changing the membership while the faults go on, through the replicas' own
 * membership calls, one change at a time as the operator does: a new member is started as a
 * learner with the cluster's membership (as {@code --join} starts one), added, caught up and
 * promoted; a follower or the leader is removed (the leader hands over first) and then stopped
 * for good; a member whose disk failed it is replaced. A change whose outcome is unknown is
 * made again (membership changes are idempotent). Its own record of the membership, from the
 * answers it got, is what every replica must end with.
 */
final class SimMembership {
    private final Simulation sim;
    private final Random random;
    private long nextId;
    /** The voters and learners as this operator was told. */
    final TreeSet<Long> voters = new TreeSet<>();
    final TreeSet<Long> learners = new TreeSet<>();
    /** A change is in flight; the next waits. */
    boolean changing;
    /** The last change's outcome is unknown and it has not been made again yet. */
    boolean uncertain;
    private Runnable retry;

    SimMembership(Simulation sim, Random random, int initial) {
        this.sim = sim;
        this.random = random;
        for (long i = 1; i <= initial; i++) {
            voters.add(i);
        }
        nextId = initial + 1;
    }

    static Member member(long id, boolean learner) {
        return Member.newBuilder().setId(id).setPeerAddr("sim-" + id + ":7001").setLearner(learner).build();
    }

    /** Schedules changes from {@code from} until {@code until}. */
    void schedule(long from, long until) {
        for (long t = from + random.nextInt(400); t < until; t += 400 + random.nextInt(800)) {
            sim.queue.at(t, this::step);
        }
    }

    /** A change is in flight, or waits to be made again. */
    boolean pending() {
        return changing || retry != null;
    }

    /** Retries what is uncertain until it is not (in the quiet end of the run). */
    void settle(long until) {
        if (retry != null && !changing && sim.queue.now() < until) {
            Runnable r = retry;
            retry = null;
            r.run();
        }
        if (sim.queue.now() < until) {
            sim.queue.after(200, () -> settle(until));
        }
    }

    private void step() {
        if (changing) {
            return;
        }
        if (retry != null) {
            Runnable r = retry;
            retry = null;
            r.run();
            return;
        }
        SimNode broken = sim.nodes.stream().filter(n -> (n.stoppedBecause != null || n.disk.corrupted()) && voters.contains(n.id))
                .findFirst().orElse(null);
        if (broken != null) {
            remove(broken.id); // replace a member its disk failed: remove it, then add another
        } else if (!learners.isEmpty()) {
            promote(learners.first());
        } else if (voters.size() > sim.options.nodes() || (voters.size() == sim.options.nodes() && random.nextBoolean())) {
            List<SimNode> leaders = sim.nodes.stream().filter(n -> n.alive && n.isLeader() && voters.contains(n.id)).toList();
            boolean leader = random.nextInt(3) == 0 && !leaders.isEmpty();
            long victim = leader ? leaders.get(0).id : new ArrayList<>(voters).get(random.nextInt(voters.size()));
            // The leader is asked to remove itself half the time: it hands over first, then
            // proposes its removal through its successor (it will not hear the answer: the retry
            // goes through another member).
            remove(victim, leader && random.nextBoolean() ? leaders.get(0) : null);
        } else {
            add();
        }
    }

    private void add() {
        long id = nextId++;
        SimNode via = via(id);
        if (via == null) {
            nextId--;
            return;
        }
        // As --join does: the cluster's membership as a live member knows it, and itself a learner.
        List<Member> initial = new ArrayList<>(via.replica.membersOnLoop());
        initial.add(member(id, true));
        if (sim.options.plant() == Simulation.Plant.WRONG_CONFIGURATION) {
            initial = List.of(member(id, false)); // planted: it counts its quorum in a configuration of its own
        }
        SimNode n = sim.addNode(id, initial);
        n.start();
        change(Verb.MEMBER_ADD, id, () -> learners.add(id), () -> add(id));
    }

    private void add(long id) {
        change(Verb.MEMBER_ADD, id, () -> learners.add(id), () -> add(id));
    }

    private void promote(long id) {
        change(Verb.MEMBER_PROMOTE, id, () -> {
            learners.remove(id);
            voters.add(id);
        }, () -> promote(id));
    }

    private void remove(long id) {
        remove(id, null);
    }

    private void remove(long id, SimNode through) {
        change(Verb.MEMBER_REMOVE, id, through, () -> {
            voters.remove(id);
            learners.remove(id);
            SimNode n = sim.node(id);
            if (n != null) {
                n.stop("removed from the cluster");
            }
        }, () -> remove(id));
    }

    /**
     * A live voter to send a change of member {@code id} through: never that member (one joining
     * knows only itself; one removed never learns that it was, as the leader stops sending it the
     * log once the removal is chosen, so it could not answer).
     */
    private SimNode via(long id) {
        List<SimNode> live = sim.nodes.stream().filter(n -> n.alive && voters.contains(n.id) && n.id != id).toList();
        return live.isEmpty() ? null : live.get(random.nextInt(live.size()));
    }

    private void change(Verb verb, long id, Runnable done, Runnable again) {
        change(verb, id, null, done, again);
    }

    private void change(Verb verb, long id, SimNode through, Runnable done, Runnable again) {
        SimNode via = through != null ? through : via(id);
        if (via == null) {
            retry = again;
            uncertain = true;
            return;
        }
        changing = true;
        Member m = member(id, verb == Verb.MEMBER_ADD);
        MemberInfo info = MemberInfo.newBuilder().setId(id).setPeerAddr(m.getPeerAddr()).build();
        sim.trace("operator: " + verb + " of member " + id + " through node " + via.id);
        via.changeMembership(verb, info).whenComplete((r, e) -> {
            changing = false;
            sim.trace("operator: " + verb + " of member " + id + ": " + (e == null ? "done" : e.toString()));
            Throwable c = Causes.unwrapped(e);
            // "Already a member" or "no such member" is the answer to a change made before
            // (its first answer lost), but only from the leader: a lagging follower's view is old.
            boolean already = c instanceof StoreException se && via.alive && via.isLeader()
                    && (se.code() == Err.INVALID && se.getMessage().contains("already")
                    || se.code() == Err.NOENT && verb == Verb.MEMBER_REMOVE);
            if (e == null && !r.ok()) {
                sim.violation(verb + " of member " + id + " was refused: " + r.error().getMessage());
            }
            if (e == null || already) {
                uncertain = false;
                done.run();
            } else {
                uncertain = true;
                retry = again;
            }
        });
    }
}
