package io.cairn.node.replica;

import com.google.protobuf.ByteString;
import io.cairn.node.paxos.PaxosConfig;
import io.cairn.node.store.Err;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.StoreException;
import io.cairn.node.store.VersionedTree;
import io.cairn.proto.Msg.MemberInfo;
import io.cairn.proto.Peer.ConfigChange;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The membership as of the applied slot: who votes, who learns, and where each listens. The
 * same on every replica, since it changes only by committed changes (and snapshots of it). The
 * requests to change it are checked here against it, before they are proposed. Used on the
 * replica's loop only.
 */
final class MemberTable {
    private static final Pattern FIELD = Pattern.compile("\"(client|http)\":\"([^\"]*)\"");

    private final long self;
    private final Map<Long, Member> members = new TreeMap<>();
    private BiConsumer<Long, String> peerAddresses = (m, a) -> { };

    MemberTable(long self, List<Member> initial) {
        this.self = self;
        initial.forEach(m -> members.put(m.getId(), m));
    }

    List<Member> list() {
        return List.copyOf(members.values());
    }

    boolean contains(long id) {
        return members.containsKey(id);
    }

    boolean isLearner(long id) {
        return members.containsKey(id) && members.get(id).getLearner();
    }

    /** Takes on the membership a snapshot records, and tells where its members listen. */
    void replaceWith(List<Member> snapshot) {
        members.clear();
        snapshot.forEach(m -> members.put(m.getId(), m));
        members.values().forEach(m -> peerAddresses.accept(m.getId(), m.getPeerAddr()));
    }

    /** The core's configuration for this membership. */
    PaxosConfig paxosConfig(Replica.Options o) {
        Set<Long> voters = new HashSet<>();
        Set<Long> learners = new HashSet<>();
        for (Member m : members.values()) {
            (m.getLearner() ? learners : voters).add(m.getId());
        }
        return new PaxosConfig(self, voters, learners, o.electionTicks(), o.heartbeatTicks(), o.window(), o.maxBatch(), 256);
    }

    /** See {@link Replica#fillOwnPeerAddress}. */
    boolean fillOwnPeerAddress(String addr) {
        Member me = members.get(self);
        if (me != null && me.getPeerAddr().isEmpty() && !addr.isEmpty()) {
            members.put(self, me.toBuilder().setPeerAddr(addr).build());
            return true;
        }
        return false;
    }

    void onPeerAddress(BiConsumer<Long, String> listener) {
        this.peerAddresses = listener;
        members.values().forEach(m -> listener.accept(m.getId(), m.getPeerAddr()));
    }

    // ---- requests to change it, checked against it ---------------------------------------

    void checkAdd(Member m) {
        if (members.containsKey(m.getId())) {
            throw new StoreException(Err.INVALID, "member " + m.getId() + " is already in the cluster");
        }
        Member me = members.get(self);
        if (me != null && me.getPeerAddr().isEmpty()) {
            throw new StoreException(Err.INVALID, "member " + self + " was started alone without a peer address,"
                    + " so a new member could not reach it; restart it with --peer-addr HOST:PORT, then add members");
        }
    }

    Member checkPromote(long member) {
        Member m = existing(member);
        if (!m.getLearner()) {
            throw new StoreException(Err.INVALID, "member " + member + " is already a voter");
        }
        return m;
    }

    Member checkRemove(long member) {
        Member m = existing(member);
        long voters = members.values().stream().filter(x -> !x.getLearner()).count();
        if (!m.getLearner() && voters <= 1) {
            throw new StoreException(Err.INVALID, "member " + member + " is the last voter; it cannot be removed");
        }
        return m;
    }

    private Member existing(long member) {
        Member m = members.get(member);
        if (m == null) {
            throw new StoreException(Err.NOENT, "no member " + member);
        }
        return m;
    }

    // ---- committed changes -----------------------------------------------------------------

    /**
     * Applies a committed change (the core has already changed its voters) and returns the
     * system transaction that records it under /ctl/members in {@code tree}.
     */
    Txn apply(ConfigChange c, VersionedTree tree) {
        Member m = c.getMember();
        Member now = switch (c.getKind()) {
            case ADD_LEARNER -> m.toBuilder().setLearner(true).build();
            case PROMOTE -> members.containsKey(m.getId()) ? members.get(m.getId()).toBuilder().setLearner(false).build() : null;
            case REMOVE -> null;
        };
        Txn.Builder t = Txn.newBuilder();
        if (now == null) {
            members.remove(m.getId());
            if (tree.get("/ctl/members/" + m.getId(), 0).rev() > 0) {
                t.addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath("/ctl/members/" + m.getId()));
            }
        } else {
            members.put(now.getId(), now);
            t.addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/ctl/members/" + now.getId())
                    .setValue(ByteString.copyFromUtf8(json(now))));
            peerAddresses.accept(now.getId(), now.getPeerAddr());
        }
        return t.build();
    }

    /** The JSON a member is recorded with under /ctl/members. */
    static String json(Member m) {
        return String.format("{\"id\":%d,\"peer\":\"%s\",\"client\":\"%s\",\"http\":\"%s\",\"role\":\"%s\"}",
                m.getId(), m.getPeerAddr(), m.getClientAddr(), m.getHttpAddr(), m.getLearner() ? "learner" : "voter");
    }

    /**
     * Member {@code id}'s client address: its table entry's, else the one it recorded under
     * /ctl/members (members named by --peers); "" when neither is known.
     */
    String clientAddr(VersionedTree tree, long id) {
        Member m = members.get(id);
        if (m == null) {
            return "";
        }
        if (!m.getClientAddr().isEmpty()) {
            return m.getClientAddr();
        }
        FileEntry f = tree.get("/ctl/members/" + id, 0);
        if (f.value() != null) {
            Matcher field = FIELD.matcher(new String(f.value(), StandardCharsets.UTF_8));
            while (field.find()) {
                if (field.group(1).equals("client")) {
                    return field.group(2);
                }
            }
        }
        return "";
    }

    /** The members for clients, with their addresses (from /ctl/members when the table has none) and the leader. */
    List<MemberInfo> infos(VersionedTree tree, long leader) {
        return members.values().stream().map(m -> {
            MemberInfo.Builder b = MemberInfo.newBuilder().setId(m.getId()).setPeerAddr(m.getPeerAddr())
                    .setClientAddr(m.getClientAddr()).setHttpAddr(m.getHttpAddr()).setLearner(m.getLearner())
                    .setLeader(leader == m.getId());
            if (m.getClientAddr().isEmpty()) {
                // Members named by --peers record their own addresses under /ctl/members.
                FileEntry f = tree.get("/ctl/members/" + m.getId(), 0);
                if (f.value() != null) {
                    Matcher field = FIELD.matcher(new String(f.value(), StandardCharsets.UTF_8));
                    while (field.find()) {
                        if (field.group(1).equals("client")) {
                            b.setClientAddr(field.group(2));
                        } else {
                            b.setHttpAddr(field.group(2));
                        }
                    }
                }
            }
            return b.build();
        }).toList();
    }
}
