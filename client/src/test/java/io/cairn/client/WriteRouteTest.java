package io.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.proto.Msg.Request;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The write route's decisions on their own, its connections opened by the test: when writes
 * move, what waits, what is not tried again. LeaderWritesProcessTest runs it against real members.
 */
class WriteRouteTest {
    private static final InetSocketAddress OWN = InetSocketAddress.createUnresolved("10.0.0.1", 8046);

    /** A link that is open until closed, keeping what was sent on it. */
    static final class OpenLink implements Link {
        final List<Request> sent = new ArrayList<>();
        boolean active = true;

        @Override
        public boolean isActive() {
            return active;
        }

        @Override
        public void send(Request r) {
            sent.add(r);
        }

        @Override
        public void close() {
            active = false;
        }
    }

    private final List<InetSocketAddress> asked = new ArrayList<>();
    private final List<CompletableFuture<Connection>> opening = new ArrayList<>();
    private final WriteRoute route = new WriteRoute(at -> {
        asked.add(at);
        CompletableFuture<Connection> f = new CompletableFuture<>();
        opening.add(f);
        return f;
    });

    private static Connection open(String host) {
        Connection c = new Connection(InetSocketAddress.createUnresolved(host, 8046));
        c.attach(new OpenLink());
        return c;
    }

    /** A member named the leader at 10.0.0.2, and the connection the route asked for opened: it. */
    private Connection leaderOpened() {
        route.leaderNamed("10.0.0.2:8046", OWN);
        Connection leader = open("10.0.0.2");
        opening.get(opening.size() - 1).complete(leader);
        return leader;
    }

    /** Dispatches a write and gives its ticket (null while it is held). */
    private WriteRoute.Ticket[] dispatch(List<String> order, String name) {
        WriteRoute.Ticket[] t = new WriteRoute.Ticket[1];
        route.dispatch(ticket -> {
            t[0] = ticket;
            order.add(name + (ticket.leader() == null ? "@own" : "@" + ticket.leader().endpoint().getHostString()));
        });
        return t;
    }

    @Test
    void writesUnderWayFinishBeforeHeldOnesGoToTheLeaderInOrder() {
        List<String> order = new ArrayList<>();
        WriteRoute.Ticket[] first = dispatch(order, "w1");
        WriteRoute.Ticket[] second = dispatch(order, "w2");
        route.leaderNamed("10.0.0.2:8046", OWN);
        assertThat(asked).hasSize(1);
        opening.get(0).complete(open("10.0.0.2"));
        // Two writes still under way on the client's connection: the next ones wait.
        dispatch(order, "w3");
        dispatch(order, "w4");
        assertThat(order).containsExactly("w1@own", "w2@own");
        route.done(first[0]);
        assertThat(order).containsExactly("w1@own", "w2@own");
        route.done(second[0]);
        assertThat(order).containsExactly("w1@own", "w2@own", "w3@10.0.0.2", "w4@10.0.0.2");
        dispatch(order, "w5");
        assertThat(order).endsWith("w5@10.0.0.2");
    }

    @Test
    void withNothingUnderWayTheRouteChangesAtOnce() {
        List<String> order = new ArrayList<>();
        leaderOpened();
        dispatch(order, "w1");
        assertThat(order).containsExactly("w1@10.0.0.2");
    }

    @Test
    void anUnreachableLeaderIsNotTriedAgainSoon() {
        List<String> order = new ArrayList<>();
        route.leaderNamed("10.0.0.2:8046", OWN);
        opening.get(0).completeExceptionally(new java.io.IOException("Connection refused"));
        route.leaderNamed("10.0.0.2:8046", OWN);
        route.leaderNamed("10.0.0.2:8046", OWN);
        assertThat(asked).hasSize(1);
        dispatch(order, "w1");
        assertThat(order).containsExactly("w1@own");
        // Another address is tried.
        route.leaderNamed("10.0.0.3:8046", OWN);
        assertThat(asked).hasSize(2);
    }

    @Test
    void aGarbledAddressOpensNothing() {
        route.leaderNamed("10.0.0.2:notaport", OWN);
        route.leaderNamed("", OWN);
        route.leaderNamed("0.0.0.0:8046", OWN);
        route.leaderNamed("[::]:8046", OWN);
        assertThat(asked).isEmpty();
    }

    @Test
    void aLostLeaderConnectionSendsWritesOverTheClientsOwnAgain() {
        List<String> order = new ArrayList<>();
        Connection leader = leaderOpened();
        WriteRoute.Ticket[] w1 = dispatch(order, "w1");
        leader.close();
        dispatch(order, "w2");
        route.done(w1[0]); // the lost connection's write, failed with it: counted on a route no longer used
        dispatch(order, "w3");
        assertThat(order).containsExactly("w1@10.0.0.2", "w2@own", "w3@own");
    }

    @Test
    void whenTheClientsOwnMemberLeadsWritesGoBackToIt() {
        List<String> order = new ArrayList<>();
        Connection leader = leaderOpened();
        WriteRoute.Ticket[] w1 = dispatch(order, "w1");
        // The old leader forwarded w1 and names the client's own member as the leader now.
        route.leaderNamed("10.0.0.1:8046", OWN);
        dispatch(order, "w2");
        assertThat(order).containsExactly("w1@10.0.0.2");
        route.done(w1[0]);
        assertThat(order).containsExactly("w1@10.0.0.2", "w2@own");
        assertThat(leader.isActive()).as("the connection to the old leader, unused now").isFalse();
        assertThat(asked).hasSize(1);
    }

    /**
     * A send may fail at once and run the caller's callbacks, which may write again from another
     * thread or wait for one: it runs without the route's lock, and so do held writes released.
     */
    @Test
    void sendsRunWithoutTheRoutesLock() throws Exception {
        List<String> order = new ArrayList<>();
        boolean[] otherThreadGotIn = new boolean[2];
        WriteRoute.Ticket[] w1 = new WriteRoute.Ticket[1];
        route.dispatch(t -> {
            w1[0] = t;
            otherThreadGotIn[0] = dispatchFromAnotherThread(order, "w2");
        });
        leaderOpened();
        route.dispatch(t -> otherThreadGotIn[1] = dispatchFromAnotherThread(order, "w4")); // w3: held
        route.done(w1[0]);
        route.done(new WriteRoute.Ticket(null, w1[0].epoch())); // w2
        assertThat(otherThreadGotIn).containsExactly(true, true);
        assertThat(order).containsExactly("w2@own", "w4@10.0.0.2");
    }

    private boolean dispatchFromAnotherThread(List<String> order, String name) {
        Thread t = new Thread(() -> dispatch(order, name));
        t.start();
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    @Test
    void closingFailsHeldWritesOverTheClientsConnectionAndClosesTheLeaders() {
        List<String> order = new ArrayList<>();
        WriteRoute.Ticket[] w1 = dispatch(order, "w1");
        Connection leader = leaderOpened();
        dispatch(order, "w2");
        route.close();
        assertThat(order).containsExactly("w1@own", "w2@own");
        assertThat(leader.isActive()).isFalse();
        route.done(w1[0]);
    }
}
