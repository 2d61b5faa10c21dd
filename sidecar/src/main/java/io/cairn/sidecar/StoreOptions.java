package io.cairn.sidecar;

import io.cairn.client.CairnClient;
import io.cairn.net.TlsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Where the store is and what to watch: the options every way of running the sidecar shares. */
final class StoreOptions {
    @Option(names = "--endpoints", defaultValue = "${env:CAIRN_ENDPOINTS:-127.0.0.1:8046}",
            description = "Cairn members, HOST:PORT,... ($CAIRN_ENDPOINTS).")
    String endpoints;

    @Option(names = "--cacert", defaultValue = "${env:CAIRN_CACERT}", paramLabel = "FILE",
            description = "Speak TLS and trust the members' CAs in this PEM bundle ($CAIRN_CACERT).")
    Path cacert;

    @Option(names = "--cert", defaultValue = "${env:CAIRN_CERT}", paramLabel = "FILE",
            description = "Client certificate (PEM) for members that require one, with --key ($CAIRN_CERT).")
    Path cert;

    @Option(names = "--key", defaultValue = "${env:CAIRN_KEY}", paramLabel = "FILE",
            description = "PEM PKCS#8 key of --cert ($CAIRN_KEY).")
    Path key;

    @Option(names = "--token-file", defaultValue = "${env:CAIRN_TOKEN_FILE}", paramLabel = "FILE",
            description = "Authenticate with the token in this file: the pod's projected service-account token (audience"
                    + " cairn), re-read every minute as the kubelet rotates it ($CAIRN_TOKEN_FILE).")
    Path tokenFile;

    @Option(names = "--watch", split = ",", defaultValue = "${env:CAIRN_WATCH}",
            description = "Config prefixes to watch, like /config/web (repeatable, or comma-separated in $CAIRN_WATCH).")
    List<String> watch;

    /** The watched prefixes, checked. */
    List<String> prefixes(CommandLine cl) {
        if (watch == null || watch.isEmpty() || watch.stream().allMatch(String::isBlank)) {
            throw new ParameterException(cl, "--watch (or $CAIRN_WATCH) is required: the config prefixes to follow");
        }
        List<String> prefixes = new ArrayList<>();
        for (String w : watch) {
            String p = w.trim();
            if (!p.equals("/") && !p.matches("(/[A-Za-z0-9._-]+)+")) {
                throw new ParameterException(cl, "--watch " + p + " is not a Cairn path like /config/web");
            }
            prefixes.add(p);
        }
        return prefixes;
    }

    /** A client of the members named, over TLS when any TLS file is given. */
    CairnClient client(CommandLine cl) {
        CairnClient.Builder b;
        try {
            // Blocking sockets, not Netty: a sidecar makes a few calls at a time, and Netty's classes
            // and event loop were about 3 MiB of its memory (bench/sidecar-footprint.sh). One
            // connection: its few writes (presence) may take the forward rather than a second
            // connection's two threads.
            b = CairnClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(5)).connectTimeout(Duration.ofSeconds(2))
                    .socketTransport(true).leaderWrites(false);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, "--endpoints \"" + endpoints + "\": " + e.getMessage());
        }
        if (cacert != null || cert != null || key != null) {
            try {
                // Renewed files (a Secret updated in place) are read again for new connections.
                b.tls(TlsConfig.files(cert, key, cacert));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(cl, e.getMessage() + " (--cacert, --cert, --key)");
            }
        }
        if (tokenFile != null) {
            if (!java.nio.file.Files.isReadable(tokenFile)) {
                throw new ParameterException(cl, "--token-file " + tokenFile + " cannot be read");
            }
            b.tokenFile(tokenFile);
        }
        return b.build();
    }

    /** A duration that may also be none: 0, 0s, 0ms and the like (the parser takes positive ones only). */
    static Duration durationOrZero(CommandLine cl, String flag, String s) {
        return s.matches("0+[a-z]*") ? Duration.ZERO : duration(cl, flag, s);
    }

    static Duration duration(CommandLine cl, String flag, String s) {
        try {
            return io.cairn.client.Durations.parse(s);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, flag + ": " + e.getMessage());
        }
    }
}
