package io.cairn.client;

import io.cairn.net.Causes;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a client's writes (SET, DEL, TXN) go. At first over the client's connection: a member
 * that follows forwards a write to the leader and names the leader in its answer
 * ({@code Response.leader_addr}). The client then opens a second connection to that address and
 * sends its writes there, which saves the forward's two hops and the follower's wait to learn
 * the commit. Reads, watches and sessions stay on the client's connection.
 *
 * <p>One client's writes reach the leader in the order they were sent: a change of route waits
 * until the writes under way on the old one are answered, holding new ones meanwhile (one
 * write's round trip, once per change). A leader connection that is lost fails the writes on it
 * as the client's own connection would (their outcome is unknown), and the next writes go over
 * the client's connection again until a member names the leader anew. An address that cannot
 * be reached from here (a name that does not resolve, a refused connection, a TLS name
 * mismatch, a refused token) is not tried again for {@link #RETRY_AFTER_NANOS}; the writes
 * meanwhile take the forward, as they did.
 */
final class WriteRoute {
    private static final Logger log = LoggerFactory.getLogger(WriteRoute.class);
    static final long RETRY_AFTER_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** A write's place on a route: the leader connection it goes over (null: the client's), and the route's epoch. */
    record Ticket(Connection leader, long epoch) {}

    private final Function<InetSocketAddress, CompletableFuture<Connection>> opener;
    /** Where writes go now: a connection to the leader, or null for the client's own connection. */
    private Connection leader;
    /** Whether a change of route waits for {@link #inFlight} to reach 0; then writes go to {@link #next}. */
    private boolean switching;
    private Connection next;
    /** Writes sent on the route of {@link #epoch} and not yet answered. */
    private int inFlight;
    private long epoch;
    /** Writes made while a change of route waits, sent in order once it is made. */
    private final ArrayDeque<Consumer<Ticket>> held = new ArrayDeque<>();
    /** Held writes are being sent ({@link #release}): new ones queue behind them. */
    private boolean releasing;
    /** A thread is in {@link #release}'s sending loop. */
    private boolean releasingThread;
    /** The address a connection is being opened to, or null. */
    private String opening;
    private String unreachable;
    /** The last address whose failure was logged at INFO. */
    private String reported;
    private long unreachableUntil;
    private boolean closed;

    /** {@code opener} opens a ready connection (its token shown) to a leader's address. */
    WriteRoute(Function<InetSocketAddress, CompletableFuture<Connection>> opener) {
        this.opener = opener;
    }

    /**
     * Runs {@code send} with the write's ticket, now or, while the route changes, once the writes
     * under way are answered. The caller reports the write's end with {@link #done}.
     */
    void dispatch(Consumer<Ticket> send) {
        Ticket t;
        synchronized (this) {
            if (!closed && (switching || releasing)) {
                held.add(send);
                return;
            }
            t = take();
        }
        // Sent outside the lock: a send may fail at once and run the caller's callbacks, which
        // may write again, or block.
        send.accept(t);
    }

    /** The next write's ticket on the route in use. */
    private Ticket take() {
        if (closed) {
            return new Ticket(null, -1); // goes nowhere: the client is closed
        }
        if (leader != null && !leader.isActive()) {
            // Lost: its writes failed with it (their onLost counted them done or will); the
            // client's connection carries writes until a member names the leader again.
            leader = null;
            epoch++;
            inFlight = 0;
        }
        inFlight++;
        return new Ticket(leader, epoch);
    }

    /** A write dispatched with {@code t} was answered, failed or timed out. */
    void done(Ticket t) {
        synchronized (this) {
            if (t.epoch() != epoch || inFlight == 0) {
                return;
            }
            inFlight--;
            if (switching && inFlight == 0) {
                switchNow();
            }
        }
        release();
    }

    /**
     * Sends the held writes in order, one thread at a time, outside the lock; writes made
     * meanwhile queue behind them. Stops when the queue is empty or another change of route begins.
     */
    private void release() {
        synchronized (this) {
            if (!releasing || releasingThread) {
                return;
            }
            releasingThread = true;
        }
        while (true) {
            Consumer<Ticket> send;
            Ticket t;
            synchronized (this) {
                if (held.isEmpty() || (switching && !closed)) {
                    releasing = !held.isEmpty();
                    releasingThread = false;
                    return;
                }
                send = held.poll();
                t = take();
            }
            send.accept(t);
        }
    }

    /**
     * An answer to a write named the leader at {@code addr}; {@code own} is the client's own
     * connection's endpoint (null if it has none now).
     */
    void leaderNamed(String addr, InetSocketAddress own) {
        InetSocketAddress at;
        synchronized (this) {
            if (closed || addr.equals(opening)) {
                return;
            }
            Connection target = switching ? next : leader;
            if (target != null && same(target.endpoint(), addr)) {
                return;
            }
            if (own != null && same(own, addr)) {
                // The member the client is connected to leads now: writes go there again.
                requestSwitch(null);
                at = null;
            } else {
                at = parse(addr);
                if (at != null) {
                    opening = addr;
                }
            }
        }
        if (at == null) {
            release();
            return;
        }
        opener.apply(at).whenComplete((c, err) -> {
            synchronized (this) {
                if (addr.equals(opening)) {
                    opening = null;
                }
                if (err != null) {
                    markUnreachable(addr, "cannot reach the leader at " + addr + " (" + Causes.innermost(err) + ")");
                    return;
                }
                if (closed) {
                    c.close();
                    return;
                }
                log.debug("writes go straight to the leader at {}", addr);
                requestSwitch(c);
            }
            release();
        });
    }

    /** {@code addr} as an address to dial, or null (marked unreachable) when it is not one. Under the lock. */
    private InetSocketAddress parse(String addr) {
        if (addr.equals(unreachable) && System.nanoTime() < unreachableUntil) {
            return null;
        }
        try {
            List<InetSocketAddress> parsed = Endpoints.parse(addr);
            if (parsed.size() != 1) {
                throw new IllegalArgumentException("not one HOST:PORT");
            }
            InetSocketAddress at = parsed.get(0);
            if (at.getHostString().matches("[0:.]+")) {
                // 0.0.0.0 or :: dials this machine, which need not be the leader's
                throw new IllegalArgumentException("a wildcard address names no member");
            }
            return at;
        } catch (IllegalArgumentException e) {
            markUnreachable(addr, "a member named the leader as \"" + addr + "\" (" + e.getMessage() + ")");
            return null;
        }
    }

    /** The connection to the leader writes now go over, or null. */
    synchronized Connection leaderConnection() {
        return leader;
    }

    void close() {
        synchronized (this) {
            closed = true;
            for (Connection c : new Connection[] {leader, next}) {
                if (c != null) {
                    c.close();
                }
            }
            leader = null;
            next = null;
            switching = false;
            releasing = !held.isEmpty(); // sent nowhere: they fail, the client being closed
        }
        release();
    }

    private void markUnreachable(String addr, String why) {
        // Said once an address: a client outside the cluster's network (a port-forward, say)
        // is told the leader's in-cluster name with every forwarded write.
        if (!addr.equals(reported)) {
            reported = addr;
            log.info("{}; writes go through the member this client is connected to, which forwards them (tried again every {} s)",
                    why, TimeUnit.NANOSECONDS.toSeconds(RETRY_AFTER_NANOS));
        } else {
            log.debug("{}", why);
        }
        unreachable = addr;
        unreachableUntil = System.nanoTime() + RETRY_AFTER_NANOS;
    }

    private void requestSwitch(Connection to) {
        if (switching ? next == to : leader == to) {
            return;
        }
        if (switching && next != null) {
            next.close();
        }
        next = to;
        switching = true;
        if (inFlight == 0) {
            switchNow();
        }
    }

    private void switchNow() {
        Connection old = leader;
        leader = next != null && next.isActive() ? next : null;
        if (next != null && leader == null) {
            next.close();
        }
        next = null;
        switching = false;
        epoch++;
        inFlight = 0;
        if (old != null && old != leader) {
            old.close(); // nothing of this client's is on it: only writes used it, and none is under way
        }
        releasing = !held.isEmpty(); // sent by release(), which the caller runs once it lets go of the lock
    }

    /** Whether {@code a} is HOST:PORT {@code addr} as written (a name and an address of one member differ). */
    private static boolean same(InetSocketAddress a, String addr) {
        String show = Endpoints.show(a);
        return show.equalsIgnoreCase(addr) || ("[" + a.getHostString() + "]:" + a.getPort()).equalsIgnoreCase(addr);
    }
}
