package io.cairn.net;

import java.security.Security;

/**
 * How long a Cairn process keeps a DNS answer. Members, the operator and sidecars find each other
 * by names (NAME-0.NAME-peers.NS.svc, NAME-client.NS.svc) whose addresses change whenever a pod
 * restarts; the JVM's default keeps an answer 30 s (a failed one 10 s), so after a member's pod
 * came back the operator kept dialling its old address and reported the cluster unavailable.
 * Call first thing in main: the JVM reads these once, at its first lookup.
 */
public final class DnsCache {
    private DnsCache() {}

    public static void keepAnswersBriefly() {
        Security.setProperty("networkaddress.cache.ttl", "5");
        Security.setProperty("networkaddress.cache.negative.ttl", "1");
    }
}
