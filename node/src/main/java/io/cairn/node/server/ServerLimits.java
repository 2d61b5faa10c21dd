package io.cairn.node.server;

/**
 * Bounds on what one client connection may ask for (DESIGN §4). Past a bound the client gets a
 * clear error, not a dropped connection.
 *
 * @param maxFrameBytes largest request frame; a bigger one is answered TOO_LARGE under its tag,
 *     its bytes are skipped and the connection stays open
 * @param maxInFlight requests (including running WAITs and WATCHes) open at once on a connection
 * @param maxWatches WAITs and WATCHes open at once on a connection
 * @param maxPage largest page a GETDIR or WALK returns
 * @param maxPendingBytes how far a watcher may fall behind before its watch is ended (it can
 *     resume from its last revision)
 * @param maxRequestsPerSecond sustained request rate of one connection (bursts up to one
 *     second's worth); past it requests are answered RANGE until the connection slows down
 */
public record ServerLimits(int maxFrameBytes, int maxInFlight, int maxWatches, int maxPage, long maxPendingBytes,
        int maxRequestsPerSecond) {
    public static ServerLimits forMaxValue(int maxValueBytes) {
        return new ServerLimits(maxValueBytes + 64 * 1024, 4096, 1024, 10_000, 64L << 20, 50_000);
    }
}
