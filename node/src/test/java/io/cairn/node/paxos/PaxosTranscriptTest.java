package io.cairn.node.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cairn.proto.Peer.Ballot;
import io.cairn.proto.Peer.ConfigChange;
import io.cairn.proto.Peer.Member;
import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.Proposal;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.WalRecord;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The consensus core as transcripts (etcd-io/raft's testdata style): each file under
 * {@code src/test/resources/paxos/testdata} is a sequence of commands, each followed by what the
 * cores did in answer — the log records they wrote, the messages they sent, the slots they
 * committed. A reader learns the protocol from them; a change in behaviour shows as a diff.
 *
 * <pre>
 * > cluster 1,2,3 seed=7       three voters (the seed fixes their election timers)
 * > tick 1 x12                 tick member 1 twelve times, printing what each tick did
 * > tick * x3                  tick every member, three times (time passes for all)
 * > deliver                    every message in flight, once; what they cause stays in flight
 * > stabilize                  deliver until nothing is in flight
 * > propose 1 a                member 1 proposes writing "a"
 * > isolate 3 / heal           messages to and from 3 are dropped, or no longer
 * > status                     role, leader and chosen slot of every member
 * > read 1                     member 1 asks for a read index (answered "ready at index N" or "failed")
 * > start 4 voters=1,2,3       a new member 4, knowing these voters and itself a learner
 * > add-learner 1 4            member 1 proposes adding 4 as a learner (promote 1 4, remove 1 4 likewise)
 * > transfer 1                 member 1, leading, hands leadership to the most caught-up voter
 * > compact 1 5                member 1 took a snapshot through slot 5: its log before it is gone
 * </pre>
 *
 * A leader asked for a snapshot sends one at once, of its chosen slot (the data is a label here).
 *
 * The driver is the one a member has with a disk that syncs at once: a Ready's records are
 * durable before its messages leave, and a message a core sends itself comes back to it.
 * {@code -Dcairn.transcripts.rewrite=true} writes the outputs back into the files (then read
 * the diff).
 */
class PaxosTranscriptTest {
    private static final Path DIR = Path.of("src/test/resources/paxos/testdata");

    static Stream<String> transcripts() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".txt")).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("transcripts")
    void transcript(String name) throws IOException {
        Path file = DIR.resolve(name);
        String text = Files.readString(file);
        String actual = new Run().play(text);
        if (Boolean.getBoolean("cairn.transcripts.rewrite")) {
            Files.writeString(file, actual);
            return;
        }
        assertThat(actual).as("transcript %s (rerun with -Dcairn.transcripts.rewrite=true and read the diff)", name)
                .isEqualTo(text);
    }

    /** One transcript's cluster, network and output. */
    private static final class Run {
        private final Map<Long, PaxosCore> cores = new TreeMap<>();
        private final Deque<PeerMessage> inFlight = new ArrayDeque<>();
        private final Set<Long> isolated = new HashSet<>();
        private final StringBuilder out = new StringBuilder();
        private long nextProposal = 1;
        private long nextRead = 1;

        /** Replays the commands of {@code text}, keeping its comments, replacing each command's output. */
        String play(String text) {
            List<String> lines = text.lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.startsWith("> ")) {
                    out.append(line).append('\n');
                    run(line.substring(2).trim());
                    while (i + 1 < lines.size() && !lines.get(i + 1).isBlank() && !lines.get(i + 1).startsWith("#")
                            && !lines.get(i + 1).startsWith("> ")) {
                        i++; // the old output
                    }
                } else {
                    out.append(line).append('\n');
                }
            }
            return out.toString();
        }

        private void run(String command) {
            String[] w = command.split("\\s+");
            switch (w[0]) {
                case "cluster" -> {
                    Set<Long> voters = Stream.of(w[1].split(",")).map(Long::parseLong).collect(Collectors.toCollection(java.util.LinkedHashSet::new));
                    long seed = Long.parseLong(w[2].substring("seed=".length()));
                    for (long id : voters) {
                        cores.put(id, new PaxosCore(PaxosConfig.of(id, voters), new Random(seed * 31 + id)));
                    }
                }
                case "tick" -> {
                    int times = w.length > 2 ? Integer.parseInt(w[2].substring(1)) : 1;
                    List<Long> who = w[1].equals("*") ? List.copyOf(cores.keySet()) : List.of(Long.parseLong(w[1]));
                    for (int t = 1; t <= times; t++) {
                        for (long id : who) {
                            handle(id, cores.get(id).tick(), "tick " + t);
                        }
                    }
                }
                case "deliver" -> deliverOnce();
                case "stabilize" -> {
                    for (int round = 0; round < 50 && !inFlight.isEmpty(); round++) {
                        deliverOnce();
                    }
                    if (!inFlight.isEmpty()) {
                        out.append("(still ").append(inFlight.size()).append(" messages in flight after 50 rounds)\n");
                    }
                }
                case "propose" -> {
                    long id = Long.parseLong(w[1]);
                    Proposal p = Proposal.newBuilder().setId(nextProposal++).setCommand(Command.newBuilder().setTxn(Txn.newBuilder()
                            .addSuccess(Op.newBuilder().setKind(Op.Kind.SET).setPath("/t").setValue(ByteString.copyFromUtf8(w[2])))))
                            .build();
                    handle(id, cores.get(id).propose(List.of(p)), null);
                }
                case "read" -> {
                    long id = Long.parseLong(w[1]);
                    handle(id, cores.get(id).readIndex(nextRead++), null);
                }
                case "start" -> {
                    long id = Long.parseLong(w[1]);
                    Set<Long> voters = Stream.of(w[2].substring("voters=".length()).split(",")).map(Long::parseLong)
                            .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
                    cores.put(id, new PaxosCore(new PaxosConfig(id, voters, Set.of(id), 10, 2, 8, 64, 64), new Random(id)));
                }
                case "add-learner", "promote", "remove" -> {
                    long id = Long.parseLong(w[1]);
                    ConfigChange.Kind kind = switch (w[0]) {
                        case "add-learner" -> ConfigChange.Kind.ADD_LEARNER;
                        case "promote" -> ConfigChange.Kind.PROMOTE;
                        default -> ConfigChange.Kind.REMOVE;
                    };
                    Proposal p = Proposal.newBuilder().setId(nextProposal++).setConfig(ConfigChange.newBuilder().setKind(kind)
                            .setMember(Member.newBuilder().setId(Long.parseLong(w[2])).setLearner(kind == ConfigChange.Kind.ADD_LEARNER)))
                            .build();
                    handle(id, cores.get(id).propose(List.of(p)), null);
                }
                case "transfer" -> {
                    long id = Long.parseLong(w[1]);
                    handle(id, cores.get(id).transferLeadership(), null);
                }
                case "compact" -> {
                    long id = Long.parseLong(w[1]);
                    handle(id, cores.get(id).snapshotTaken(Long.parseLong(w[2])), null);
                }
                case "isolate" -> isolated.add(Long.parseLong(w[1]));
                case "heal" -> isolated.clear();
                case "status" -> cores.forEach((id, c) -> out.append(id).append(": ").append(c.role().name().toLowerCase())
                        .append(", leader ").append(c.leader()).append(", chosen up to slot ").append(c.chosenUpTo()).append('\n'));
                default -> throw new IllegalArgumentException("unknown transcript command: " + command);
            }
        }

        private void deliverOnce() {
            List<PeerMessage> now = new ArrayList<>(inFlight);
            inFlight.clear();
            int dropped = 0;
            for (PeerMessage m : now) {
                if (isolated.contains(m.getFrom()) || isolated.contains(m.getTo())) {
                    dropped++;
                    continue;
                }
                PaxosCore to = cores.get(m.getTo());
                if (to != null) {
                    handle(m.getTo(), to.step(m), null);
                }
            }
            if (dropped > 0) {
                out.append("(").append(dropped).append(" messages to or from ").append(isolated).append(" dropped)\n");
            }
        }

        /** Prints what one step did and puts its messages in flight (its records are durable at once). */
        private void handle(long id, Ready r, String what) {
            List<String> lines = new ArrayList<>();
            for (WalRecord rec : r.records) {
                lines.add(id + " writes " + record(rec));
            }
            for (PeerMessage m : r.early) {
                lines.add(message(m) + "  (before the records are durable)");
                inFlight.add(m);
            }
            for (PeerMessage m : r.messages) {
                lines.add(message(m));
                inFlight.add(m);
            }
            if (r.install != null) {
                lines.add(id + " installs the snapshot at slot " + r.install.slot() + " (" + r.install.data().toStringUtf8() + ")");
            }
            for (SlotEntry e : r.committed) {
                lines.add(id + " commits slot " + e.getSlot() + " " + value(e));
            }
            for (Ready.ReadReady rr : r.reads) {
                lines.add(id + " read " + rr.readId() + " ready at index " + rr.index());
            }
            for (long rid : r.readsFailed) {
                lines.add(id + " read " + rid + " failed");
            }
            for (long pid : r.rejected) {
                lines.add(id + " proposal #" + pid + " rejected");
            }
            List<PeerMessage> snapshots = new ArrayList<>();
            for (Ready.SnapshotNeeded need : r.snapshotsNeeded) {
                PaxosCore c = cores.get(id);
                lines.add(id + " must send member " + need.to() + " a snapshot: sends one at slot " + c.chosenUpTo());
                PeerMessage m = c.snapshotMessage(need.to(), c.chosenUpTo(), ("state through slot " + c.chosenUpTo())
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8), c.voters(), c.learners());
                lines.add(message(m));
                snapshots.add(m);
            }
            inFlight.addAll(snapshots);
            if (!lines.isEmpty()) {
                if (what != null) {
                    out.append(id).append(' ').append(what).append(":\n");
                }
                lines.forEach(l -> out.append(l).append('\n'));
            }
        }

        private static String ballot(Ballot b) {
            return b.getRound() + "." + b.getNode();
        }

        private static String value(SlotEntry e) {
            if (e.getValue().getProposalsCount() == 0) {
                return "(no-op)";
            }
            return e.getValue().getProposalsList().stream().map(p -> p.hasCommand() && p.getCommand().hasTxn()
                    ? p.getCommand().getTxn().getSuccess(0).getValue().toStringUtf8()
                    : p.hasConfig() ? p.getConfig().getKind().name().toLowerCase().replace('_', '-') + " " + p.getConfig().getMember().getId()
                    : "#" + p.getId())
                    .collect(Collectors.joining(",", "[", "]"));
        }

        private static String record(WalRecord r) {
            return switch (r.getKindCase()) {
                case PROMISED -> "promise " + ballot(r.getPromised());
                case ACCEPTED -> "accepted slot " + r.getAccepted().getSlot() + " at " + ballot(r.getAccepted().getBallot()) + " "
                        + value(r.getAccepted());
                case COMMIT -> "commit up to slot " + r.getCommit();
                default -> r.getKindCase().name();
            };
        }

        private static String message(PeerMessage m) {
            String head = m.getFrom() + "->" + m.getTo() + " ";
            String b = m.hasBallot() ? " ballot " + ballot(m.getBallot()) : "";
            return head + switch (m.getBodyCase()) {
                case PREPARE -> (m.getPrepare().getPre() ? "PRE-PREPARE" : "PREPARE") + b + " from slot " + m.getPrepare().getFromSlot()
                        + (m.getPrepare().getTransfer() ? " (hand-over)" : "");
                case PROMISE -> (m.getPromise().getPre() ? "PRE-PROMISE" : "PROMISE") + b + " chosen up to " + m.getPromise().getChosenUpTo()
                        + " accepted " + m.getPromise().getAcceptedList().stream().map(e -> e.getSlot() + "@" + ballot(e.getBallot()))
                                .collect(Collectors.joining(",", "[", "]"));
                case ACCEPT -> "ACCEPT" + b + " " + m.getAccept().getEntriesList().stream().map(e -> e.getSlot() + "=" + value(e))
                        .collect(Collectors.joining(" ")) + " commit " + m.getAccept().getCommit();
                case ACCEPTED -> "ACCEPTED" + b + " slots " + m.getAccepted().getSlotsList();
                case NACK -> "NACK promised " + ballot(m.getNack().getPromised());
                case HEARTBEAT -> "HEARTBEAT" + b + " commit " + m.getHeartbeat().getCommit() + " read " + m.getHeartbeat().getReadSeq()
                        + (m.getHeartbeat().getQuiet() ? " quiet" : "");
                case HEARTBEAT_ACK -> "HEARTBEAT-ACK" + b + " read " + m.getHeartbeatAck().getReadSeq() + " chosen up to "
                        + m.getHeartbeatAck().getChosenUpTo();
                case CATCH_UP -> "CATCH-UP from slot " + m.getCatchUp().getFromSlot();
                case CHOSEN -> "CHOSEN" + b + " " + m.getChosen().getEntriesList().stream().map(e -> e.getSlot() + "=" + value(e))
                        .collect(Collectors.joining(" ")) + " commit " + m.getChosen().getCommit();
                case FORWARD -> "FORWARD " + m.getForward().getProposalsCount() + " proposals";
                case FORWARD_REJECT -> "FORWARD-REJECT " + m.getForwardReject().getIdsList();
                case TIMEOUT_NOW -> "TIMEOUT-NOW";
                case READ_REQUEST -> "READ-INDEX? " + m.getReadRequest().getReadId();
                case READ_RESPONSE -> "READ-INDEX " + m.getReadResponse().getReadId() + " = " + m.getReadResponse().getIndex();
                case SNAPSHOT -> "SNAPSHOT" + b + " at slot " + m.getSnapshot().getSlot();
                default -> m.getBodyCase().name();
            };
        }
    }
}
