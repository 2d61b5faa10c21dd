package io.cairn.testing.sim;

import com.google.protobuf.ByteString;
import io.cairn.net.Causes;
import io.cairn.node.store.Err;
import io.cairn.node.store.StoreException;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A process holding presence: it opens a session, creates ephemeral files, keeps the session
 * alive through whichever replica it can reach, deletes and recreates a file now and then, reopens
 * a session that expired — and may die, after which its files must go.
 */
final class SimHolder {
    static final long TTL_MS = 1_000;

    private final Simulation sim;
    final int id;
    boolean alive = true;
    long diedAt = -1;
    long session;
    /** Every session this holder opened, in order. */
    final List<Long> sessions = new ArrayList<>();
    /** The files the holder knows its current session has. */
    final TreeSet<String> files = new TreeSet<>();
    /** An op on the current session whose outcome is unknown: its file set is uncertain. */
    boolean uncertain;
    /** File writes sent but not yet answered: until they are, the holder's belief is behind. */
    int inFlight;
    private boolean opening;
    private SimNode node;

    SimHolder(Simulation sim, int id) {
        this.sim = sim;
        this.id = id;
    }

    void start() {
        tick();
    }

    /** Dies now: no more keepalives, ever. */
    void die() {
        if (alive) {
            alive = false;
            diedAt = sim.queue.now();
        }
    }

    private SimNode node() {
        if (node == null || !node.alive) {
            List<SimNode> live = sim.nodes.stream().filter(n -> n.alive).toList();
            node = live.isEmpty() ? null : live.get(sim.random.nextInt(live.size()));
        }
        return node;
    }

    private void tick() {
        if (!alive || sim.queue.now() > sim.holdersUntil()) {
            return;
        }
        SimNode n = node();
        if (n != null) {
            if (session == 0) {
                open(n);
            } else {
                long s = session;
                n.keepalive(s).whenComplete((ok, e) -> {
                    Throwable c = Causes.unwrapped(e);
                    if (c instanceof StoreException se && se.code() == Err.SESSION_EXPIRED && s == session) {
                        // The session ended (the replica has applied its expiry): start over with a new one.
                        session = 0;
                        files.clear();
                        uncertain = false;
                    }
                });
                if (sim.random.nextInt(8) == 0) {
                    churn(n);
                }
            }
        }
        sim.queue.after(TTL_MS / 3, this::tick);
    }

    private void open(SimNode n) {
        if (opening) {
            return;
        }
        opening = true;
        n.openSession(TTL_MS).whenComplete((sid, e) -> {
                    opening = false;
                    if (e != null || !alive) {
                        return; // a session opened without an answer expires unheld
                    }
                    session = sid;
                    sessions.add(session);
                    write(n, "/e/h" + id + "/a", false);
                    write(n, "/e/h" + id + "/b", false);
                });
    }

    /** Deletes one of its files and writes it again: explicit deletes racing expiry. */
    private void churn(SimNode n) {
        String path = "/e/h" + id + (sim.random.nextBoolean() ? "/a" : "/b");
        write(n, path, files.contains(path));
    }

    private void write(SimNode n, String path, boolean delete) {
        long s = session;
        Op op = delete
                ? Op.newBuilder().setKind(Op.Kind.DEL).setPath(path).setRev(-1).setSession(s).build()
                : Op.newBuilder().setKind(Op.Kind.SET).setPath(path).setValue(ByteString.copyFromUtf8("h" + id)).setRev(-1).setSession(s).build();
        inFlight++;
        n.write(Command.newBuilder().setTxn(Txn.newBuilder().addSuccess(op)).build()).whenComplete((r, e) -> {
            inFlight--;
            if (e != null) {
                if (s == session) {
                    uncertain = true;
                }
                return;
            }
            if (s != session) {
                return;
            }
            if (r.ok()) {
                if (delete) {
                    files.remove(path);
                } else {
                    files.add(path);
                }
            } else if (r.error().code() == Err.SESSION_EXPIRED) {
                session = 0;
                files.clear();
                uncertain = false;
            } else if (r.error().code() != Err.NOENT) {
                sim.violation("holder " + id + ": unexpected refusal " + r.error().code() + ": " + r.error().getMessage());
            }
        });
    }
}
