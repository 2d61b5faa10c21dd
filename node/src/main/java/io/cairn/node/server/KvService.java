package io.cairn.node.server;

import io.cairn.node.store.ApplyResult;
import io.cairn.node.store.Glob;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.State.Command;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Msg.Request.Verb;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What the request handlers need from the node: reads of the tree, writes that go through the
 * log, and watches. A single node applies writes at once; the replicated node commits them
 * through consensus first. Handlers never touch the tree outside these calls.
 */
public interface KvService {
    /** Runs {@code read} against the tree on its owning thread, linearizably. */
    <T> CompletableFuture<T> read(Function<VersionedTree, T> read);

    /**
     * Runs {@code read} linearizably (confirmed by a quorum), or with {@code serializable} from
     * this member's own state: possibly stale, never older than what this member served before.
     */
    default <T> CompletableFuture<T> read(Function<VersionedTree, T> read, boolean serializable) {
        return read(read);
    }

    /** Commits and applies {@code command}; completes with what applying it did. */
    CompletableFuture<ApplyResult> write(Command command);

    /**
     * Delivers every change matching {@code glob} with rev at least {@code fromRev} (0: from the
     * next revision), in order, with no gap and no duplicate. With {@code once}, ends after the
     * first revision that matched (WAIT).
     */
    WatchHandle watch(Glob glob, long fromRev, boolean once, WatchSink sink);

    /** This node's id. */
    long nodeId();

    /**
     * While another member leads, that leader's client address, which answers to forwarded writes
     * carry so that clients may send their writes there directly; null when this member leads or
     * the leader or its address is not known.
     */
    default String leaderClientAddress() {
        return null;
    }

    /** The members, each with its addresses and role, and which one leads. */
    CompletableFuture<List<MemberInfo>> memberList();

    /** Opens a session with this TTL (committed through the log); completes with its id. */
    CompletableFuture<Long> openSession(long ttlMs);

    /** Opens a session owned by {@code owner} (null: nobody in particular). */
    default CompletableFuture<Long> openSession(long ttlMs, io.cairn.proto.State.Identity owner) {
        return openSession(ttlMs);
    }

    /**
     * Ends a session as {@code author} asks; with {@code authorize}, only its owner or an admin
     * may (checked where the close lands in the log).
     */
    default CompletableFuture<ApplyResult> closeSession(long session, io.cairn.proto.State.Identity author, boolean authorize) {
        return closeSession(session);
    }

    /** The policy under /ctl/acl as of the latest revision this member applied. */
    default io.cairn.node.acl.Policy policy() {
        return io.cairn.node.acl.Policy.EMPTY;
    }

    /** Where the client connections report their requests' latency and their own number. */
    default RequestObserver requestObserver() {
        return RequestObserver.NONE;
    }

    /** Keeps a session alive for another TTL; fails SESSION_EXPIRED when it has ended. */
    CompletableFuture<Void> keepalive(long session);

    /** Ends a session: its ephemeral files go in one revision. */
    CompletableFuture<ApplyResult> closeSession(long session);

    /** The open sessions with their files and, on the leader, the time they have left. */
    CompletableFuture<List<io.cairn.proto.Msg.SessionInfo>> sessionList();

    /** Adds a learner; promotes a learner to voter; removes a member (the leader hands over first). */
    CompletableFuture<ApplyResult> changeMembership(Verb verb, MemberInfo member);
}
