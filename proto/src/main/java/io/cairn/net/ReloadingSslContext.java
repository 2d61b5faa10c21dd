package io.cairn.net;

import io.netty.handler.ssl.SslContext;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link SslContext} that follows its files: every new connection asks for {@link #current()},
 * which looks at the files at most once every few seconds and builds a new context when they
 * changed. Connections already open keep the context they started with. Material that does not
 * load (a renewal caught half-written) leaves the last good context in use, said once in the log.
 */
public final class ReloadingSslContext {
    private static final Logger log = LoggerFactory.getLogger(ReloadingSslContext.class);
    private static final long CHECK_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final TlsConfig config;
    private final Function<TlsConfig, SslContext> build;
    private volatile SslContext context;
    private volatile Object stamp;
    private volatile long checkedAt;
    private volatile Object failedStamp;

    /** Builds the first context now: bad material fails here, with the reason. */
    public ReloadingSslContext(TlsConfig config, Function<TlsConfig, SslContext> build) {
        this.config = config;
        this.build = build;
        this.stamp = config.stamp();
        this.context = build.apply(config);
        this.checkedAt = System.nanoTime();
    }

    public static ReloadingSslContext server(TlsConfig config, io.netty.handler.ssl.ClientAuth auth) {
        return new ReloadingSslContext(config, c -> c.serverContext(auth));
    }

    public static ReloadingSslContext client(TlsConfig config) {
        return new ReloadingSslContext(config, TlsConfig::clientContext);
    }

    public SslContext current() {
        long now = System.nanoTime();
        if (now - checkedAt >= CHECK_EVERY_NANOS) {
            reloadIfChanged(now);
        }
        return context;
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
            context = build.apply(config);
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
