package io.cairn.node.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.proto.Peer.Heartbeat;
import io.cairn.proto.Peer.PeerMessage;
import io.cairn.proto.Peer.SlotEntry;
import io.cairn.proto.Peer.WalRecord;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order in which ReadyGate carries out a Ready's parts, as a driver sees it. */
class ReadyGateTest {
    /** Records each call; the log is durable up to {@link #durable}. */
    private static final class Recording implements ReadyGate.Effects {
        final List<String> calls = new ArrayList<>();
        long appended;
        long durable;

        @Override
        public void persistSnapshot(Ready.InstallSnapshot s) {
            calls.add("persist-snapshot");
        }

        @Override
        public long append(List<WalRecord> records) {
            if (!records.isEmpty()) {
                appended++;
                calls.add("append");
            }
            return appended;
        }

        @Override
        public void installSnapshot(Ready.InstallSnapshot s) {
            calls.add("install-snapshot");
        }

        @Override
        public void send(PeerMessage m) {
            calls.add("send to " + m.getTo());
        }

        @Override
        public void apply(SlotEntry e) {
            calls.add("apply " + e.getSlot());
        }

        @Override
        public void readReady(long readId, long index) {
            calls.add("read " + readId);
        }

        @Override
        public void readFailed(long readId) {
        }

        @Override
        public void rejected(long proposalId) {
        }

        @Override
        public void snapshotNeeded(long to) {
        }

        @Override
        public void released() {
        }
    }

    private final Recording effects = new Recording();
    private final ReadyGate gate = new ReadyGate(effects, () -> effects.durable, 1, m -> new Ready());

    private static PeerMessage notice(long to) {
        return PeerMessage.newBuilder().setFrom(1).setTo(to).setHeartbeat(Heartbeat.newBuilder().setCommit(7)).build();
    }

    @Test
    void aReadyWithNothingToWriteAppliesBeforeItsEarlyMessagesLeave() {
        // A leader learning a commit: the answer to the client (the apply) goes out before the
        // commit notices to its followers, which would otherwise be written to the sockets first.
        Ready r = new Ready();
        r.committed.add(SlotEntry.newBuilder().setSlot(7).build());
        r.early.add(notice(2));
        r.early.add(notice(3));

        gate.handle(r);

        assertThat(effects.calls).containsExactly("apply 7", "send to 2", "send to 3");
    }

    @Test
    void aReadyWithRecordsSendsItsEarlyMessagesBeforeTheAppend() {
        // A leader proposing: its accepts leave before its own log write, which the member's loop
        // may run itself; the slot it commits meanwhile applies at once; the message that needs
        // the record waits for it.
        Ready r = new Ready();
        r.records.add(WalRecord.getDefaultInstance());
        r.committed.add(SlotEntry.newBuilder().setSlot(7).build());
        r.early.add(notice(2));
        r.messages.add(notice(3));

        gate.handle(r);
        assertThat(effects.calls).containsExactly("send to 2", "append", "apply 7");

        effects.durable = effects.appended;
        gate.release();
        assertThat(effects.calls).containsExactly("send to 2", "append", "apply 7", "send to 3");
    }

    @Test
    void entriesAfterAnUnappliedOneWaitForItEvenWithNothingToWrite() {
        // A snapshot to install holds back the entries after it; a later Ready without records
        // must not apply its own ahead of them.
        Ready first = new Ready();
        first.records.add(WalRecord.getDefaultInstance());
        first.install = new Ready.InstallSnapshot(5, com.google.protobuf.ByteString.EMPTY, true);
        first.committed.add(SlotEntry.newBuilder().setSlot(6).build());
        Ready second = new Ready();
        second.committed.add(SlotEntry.newBuilder().setSlot(7).build());
        second.early.add(notice(2));

        gate.handle(first);
        gate.handle(second);
        assertThat(effects.calls).containsExactly("persist-snapshot", "append", "send to 2");

        effects.durable = effects.appended;
        gate.release();
        assertThat(effects.calls).containsExactly("persist-snapshot", "append", "send to 2",
                "install-snapshot", "apply 6", "apply 7");
    }
}
