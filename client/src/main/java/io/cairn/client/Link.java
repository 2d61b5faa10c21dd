package io.cairn.client;

import io.cairn.proto.Msg.Request;
import io.cairn.proto.Msg.Response;
import java.net.InetSocketAddress;

/** One open connection to a member, as a {@link Transport} made it: framed requests out, answers in. */
interface Link {
    /** What hears a link, always on its transport's loop. */
    interface Receiver {
        void received(Response r);

        /**
         * The link ended; {@code failure} says why when it failed (a TLS alert, a reset), null when
         * it was closed; {@code notCairn} when the other end answered with something that is not a
         * Cairn frame.
         */
        void lost(String failure, boolean notCairn);
    }

    /** The longest frame either end accepts. */
    int MAX_FRAME = 64 << 20;

    boolean isActive();

    /** Queues a request; safe from any thread, sent in order. */
    void send(Request r);

    void close();

    /**
     * What to say when the first bytes an endpoint sent, read as a frame length, were far over the
     * limit: it does not speak Cairn's protocol. An HTTP server's answer begins with "HTTP", which
     * is what a client pointed at a member's HTTP port (8048) gets.
     */
    static String notCairn(InetSocketAddress remote, String firstBytes) {
        String where = remote == null ? "the endpoint" : Endpoints.show(remote);
        return where + " does not speak the Cairn protocol" + (firstBytes != null && firstBytes.startsWith("HTTP")
                ? ": it answered in HTTP (a member's HTTP gateway? clients use its client port, 8046 by default)"
                : ": its answer is not a Cairn frame");
    }
}
