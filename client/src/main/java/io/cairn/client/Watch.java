package io.cairn.client;

/**
 * A running watch: every change matching its glob, in order, exactly once, across reconnects.
 * Either a member-side watch of its own, or, for a watch "from the next change", a share of the
 * one this client keeps for that glob ({@link SharedWatch}). Close it to stop it.
 */
public final class Watch implements AutoCloseable {
    private final WatchStream own;
    private final SharedWatch shared;
    private final SharedWatch.Member member;

    Watch(WatchStream own) {
        this.own = own;
        this.shared = null;
        this.member = null;
    }

    Watch(SharedWatch shared, SharedWatch.Member member) {
        this.own = null;
        this.shared = shared;
        this.member = member;
    }

    /** The revision of the last event delivered to this watch's listener (0 before the first). */
    public long lastRev() {
        return own != null ? own.lastRev() : member.lastRev();
    }

    /** How many times the member-side watch behind this one has had to reconnect. */
    public int reconnects() {
        return own != null ? own.reconnects() : shared.stream().reconnects();
    }

    @Override
    public void close() {
        if (own != null) {
            own.close();
        } else {
            shared.leave(member);
        }
    }
}
