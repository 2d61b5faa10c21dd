package io.cairn.testing.lin;

/**
 * One operation of a history: who ran it, when it was called and when it returned (in any
 * consistent time unit), what it asked and what it got. An operation whose outcome is unknown
 * (the client gave up) has {@code output == null} and returns at {@link Long#MAX_VALUE}: it may
 * have taken effect at any point after its call, or never.
 */
public record Operation(int client, long call, long ret, KvModel.Input input, KvModel.Output output) {
    public static final long UNKNOWN = Long.MAX_VALUE;

    public boolean outcomeKnown() {
        return output != null;
    }
}
