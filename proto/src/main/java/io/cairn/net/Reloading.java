package io.cairn.net;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Something built from TLS files that follows them: every new connection asks for
 * {@link #current()}, which looks at the files at most once every few seconds and builds anew
 * when they changed. Connections already open keep what they started with. Material that does
 * not load (a renewal caught half-written) leaves the last good one in use, said once in the log.
 */
public class Reloading<T> {
    private static final Logger log = LoggerFactory.getLogger(Reloading.class);
    private static final long CHECK_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final TlsConfig config;
    private final Function<TlsConfig, T> build;
    private volatile T built;
    private volatile Object stamp;
    private volatile long checkedAt;
    private volatile Object failedStamp;

    /** Builds the first one now: bad material fails here, with the reason. */
    public Reloading(TlsConfig config, Function<TlsConfig, T> build) {
        this.config = config;
        this.build = build;
        this.stamp = config.stamp();
        this.built = build.apply(config);
        this.checkedAt = System.nanoTime();
    }

    public T current() {
        long now = System.nanoTime();
        if (now - checkedAt >= CHECK_EVERY_NANOS) {
            reloadIfChanged(now);
        }
        return built;
    }

    private synchronized void reloadIfChanged(long now) {
        if (now - checkedAt < CHECK_EVERY_NANOS) {
            return;
        }
        checkedAt = now;
        Object latest = config.stamp();
        if (Objects.equals(latest, stamp) || Objects.equals(latest, failedStamp)) {
            return;
        }
        try {
            built = build.apply(config);
            stamp = latest;
            failedStamp = null;
            log.info("TLS material reloaded from {}", config.origin());
        } catch (RuntimeException e) {
            failedStamp = latest;
            log.warn("TLS material in {} changed but does not load ({}); still using the previous one",
                    config.origin(), e.getMessage());
        }
    }
}
