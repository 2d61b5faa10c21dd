package io.cairn.testing.sim;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The peer network: every message is delayed at random (so messages reorder), and may be lost,
 * duplicated, or cut by a partition, which can be one-way.
 */
final class SimNetwork {
    private final EventQueue queue;
    private final Random random;
    private final Set<Long> cut = new HashSet<>(); // from * 1000 + to
    double loss;
    double duplication;
    int maxDelay = 8;
    long sent;
    long dropped;
    /** Planted (Simulation.Plant.LATE_DUPLICATE): a copy of every forward arrives again {@link #lateCopyMs} later. */
    java.util.function.Predicate<Object> lateCopyOf = m -> false;
    long lateCopyMs = 1_500;

    SimNetwork(EventQueue queue, Random random) {
        this.queue = queue;
        this.random = random;
    }

    /** Cuts the link from one node to another (one way). */
    void cut(long from, long to) {
        cut.add(from * 1000 + to);
    }

    void healAll() {
        cut.clear();
        loss = 0;
        duplication = 0;
    }

    boolean connected(long from, long to) {
        return !cut.contains(from * 1000 + to);
    }

    <M> void send(long from, long to, M message, BiConsumer<Long, M> deliver) {
        sent++;
        if (lateCopyOf.test(message)) {
            queue.after(lateCopyMs, () -> deliver.accept(to, message));
        }
        int copies = random.nextDouble() < duplication ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            if (!connected(from, to) || random.nextDouble() < loss) {
                dropped++;
                continue;
            }
            long delay = 1 + random.nextInt(maxDelay);
            queue.after(delay, () -> {
                // A partition that began while the message was in flight stops it too.
                if (connected(from, to)) {
                    deliver.accept(to, message);
                }
            });
        }
    }
}
