package io.cairn.client;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Parses endpoint lists: {@code host:port,host:port}. */
public final class Endpoints {
    public static final int DEFAULT_PORT = 8046;

    private Endpoints() {}

    /** Parses a comma-separated list; a missing port means 8046. Throws IllegalArgumentException naming the bad entry. */
    public static List<InetSocketAddress> parse(String list) {
        if (list == null || list.isBlank()) {
            throw new IllegalArgumentException("no endpoints given");
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (String raw : list.split(",")) {
            String s = raw.trim();
            if (s.isEmpty()) {
                throw new IllegalArgumentException("empty endpoint in \"" + list + "\"");
            }
            String host = s;
            int port = DEFAULT_PORT;
            int colon = s.lastIndexOf(':');
            if (colon >= 0 && !s.endsWith("]")) {
                host = s.substring(0, colon);
                String p = s.substring(colon + 1);
                try {
                    port = Integer.parseInt(p);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad port \"" + p + "\" in endpoint \"" + s + "\"");
                }
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("port " + port + " out of range in endpoint \"" + s + "\"");
                }
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("no host in endpoint \"" + s + "\"");
            }
            out.add(InetSocketAddress.createUnresolved(host, port));
        }
        return List.copyOf(out);
    }

    static String show(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
