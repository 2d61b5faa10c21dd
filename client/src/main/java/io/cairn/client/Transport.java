package io.cairn.client;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * How a client reaches members: it opens {@link Link}s and owns the one thread on which their
 * answers, their loss and the client's timers all run (so a call's callbacks never race each
 * other). Two kinds: Netty's event loop ({@link NettyClientTransport}, the default, for clients
 * with many calls in flight) and blocking JDK sockets ({@link SocketClientTransport}, for clients
 * that make few calls and should load little, such as the sidecar).
 */
interface Transport {
    /** The thread the links' callbacks run on; the client schedules its timers here too. */
    ScheduledExecutorService loop();

    /**
     * Connects to {@code endpoint} (and, with TLS, completes the handshake); the future fails
     * with a message naming the endpoint when it cannot. {@code receiver} hears the link's
     * answers and its end, on {@link #loop()}.
     */
    CompletableFuture<Link> open(InetSocketAddress endpoint, Link.Receiver receiver);

    /** Closes every link still open and stops the loop. */
    void close();
}
