package io.cairn.node;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Member addresses keep the name they were given. In Kubernetes a member is reached by a stable
 * DNS name (NAME-0.NAME-peers.NS.svc) while its pod's IP changes at every restart, and a peer's
 * name resolves only once its pod has an address: so a name is resolved when it is bound or
 * dialled, never once at start, and the membership stores names, not the IPs they had.
 */
public final class Addresses {
    private Addresses() {}

    /** HOST:PORT, unresolved. */
    public static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return InetSocketAddress.createUnresolved(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** The address resolved now (for a bind or a blocking connect). */
    public static InetSocketAddress resolved(InetSocketAddress a) throws UnknownHostException {
        InetSocketAddress r = new InetSocketAddress(a.getHostString(), a.getPort());
        if (r.isUnresolved()) {
            throw new UnknownHostException(a.getHostString() + " does not resolve");
        }
        return r;
    }

    /** HOST:PORT as given (a name stays a name). */
    public static String show(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    /**
     * What a member tells others to dial: the configured address, unless it names no one in
     * particular (a wildcard host, or port 0 picked at bind time): then the bound one.
     */
    public static String advertised(InetSocketAddress configured, InetSocketAddress bound) {
        return configured.getPort() == 0 || wildcardHost(configured.getHostString()) ? show(bound) : show(configured);
    }

    /** Whether HOST:PORT names no one in particular (a wildcard host, or port 0): nothing to dial. */
    public static boolean isWildcard(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return wildcardHost(host) || (colon >= 0 && hostPort.substring(colon + 1).equals("0"));
    }

    private static boolean wildcardHost(String host) {
        return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.matches("[0:]+");
    }
}
