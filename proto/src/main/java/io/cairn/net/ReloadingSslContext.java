package io.cairn.net;

import io.netty.handler.ssl.SslContext;

/** A Netty {@link SslContext} that follows its files (see {@link Reloading}). */
public final class ReloadingSslContext extends Reloading<SslContext> {
    private ReloadingSslContext(TlsConfig config, java.util.function.Function<TlsConfig, SslContext> build) {
        super(config, build);
    }

    public static ReloadingSslContext server(TlsConfig config, io.netty.handler.ssl.ClientAuth auth) {
        return new ReloadingSslContext(config, c -> c.serverContext(auth));
    }

    public static ReloadingSslContext client(TlsConfig config) {
        return new ReloadingSslContext(config, TlsConfig::clientContext);
    }
}
