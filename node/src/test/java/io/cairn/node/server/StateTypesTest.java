package io.cairn.node.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.cairn.proto.Msg;
import io.cairn.proto.State;
import org.junit.jupiter.api.Test;

/**
 * The state machine's command types, and its refusal codes, against the client protocol's. The WAL and snapshots were
 * written with the client's Txn, Op, Compare and Entry before the state machine had its own, so
 * its own must read those bytes the same: same field numbers, names, types, labels, defaults and
 * enum values. And the edge's translation carries every field over.
 */
class StateTypesTest {

    private static void assertSameShape(Descriptor wire, Descriptor state) {
        assertThat(state.getFields()).as(state.getName() + ": fields").hasSameSizeAs(wire.getFields());
        for (FieldDescriptor w : wire.getFields()) {
            FieldDescriptor s = state.findFieldByNumber(w.getNumber());
            assertThat(s).as(state.getName() + " field " + w.getNumber()).isNotNull();
            assertThat(s.getName()).isEqualTo(w.getName());
            assertThat(s.getType()).as(s.getFullName()).isEqualTo(w.getType());
            assertThat(s.isRepeated()).as(s.getFullName()).isEqualTo(w.isRepeated());
            assertThat(s.hasDefaultValue()).as(s.getFullName()).isEqualTo(w.hasDefaultValue());
            if (w.getType() == FieldDescriptor.Type.ENUM) {
                assertSameEnum(w.getEnumType(), s.getEnumType());
                if (w.hasDefaultValue()) {
                    assertThat(((EnumValueDescriptor) s.getDefaultValue()).getNumber())
                            .isEqualTo(((EnumValueDescriptor) w.getDefaultValue()).getNumber());
                }
            } else if (w.getType() == FieldDescriptor.Type.MESSAGE) {
                assertSameShape(w.getMessageType(), s.getMessageType());
            } else if (w.hasDefaultValue()) {
                assertThat(s.getDefaultValue()).as(s.getFullName()).isEqualTo(w.getDefaultValue());
            }
        }
    }

    private static void assertSameEnum(EnumDescriptor wire, EnumDescriptor state) {
        assertThat(state.getValues()).as(state.getFullName()).hasSameSizeAs(wire.getValues());
        for (EnumValueDescriptor v : wire.getValues()) {
            assertThat(state.findValueByNumber(v.getNumber())).as(state.getFullName() + " " + v.getNumber()).isNotNull();
            assertThat(state.findValueByNumber(v.getNumber()).getName()).isEqualTo(v.getName());
        }
    }

    @Test
    void theStateMachinesTypesReadWhatTheClientTypesWrote() {
        assertSameShape(Msg.Txn.getDescriptor(), State.Txn.getDescriptor());
        assertSameShape(Msg.Op.getDescriptor(), State.Op.getDescriptor());
        assertSameShape(Msg.Compare.getDescriptor(), State.Compare.getDescriptor());
        assertSameShape(Msg.Entry.getDescriptor(), State.Entry.getDescriptor());
    }

    @Test
    void everyRefusalHasTheClientProtocolsCodeOfItsNameAndBack() {
        for (io.cairn.node.store.Err e : io.cairn.node.store.Err.values()) {
            assertThat(Responses.wire(e).name()).isEqualTo(e.name());
        }
        for (Msg.Response.Err w : Msg.Response.Err.values()) {
            assertThat(io.cairn.node.store.Err.valueOf(w.name())).as(w.name()).isNotNull();
        }
        assertThat(io.cairn.node.store.Err.values()).hasSameSizeAs(Msg.Response.Err.values());
    }

    private static Msg.Txn everyField() {
        return Msg.Txn.newBuilder()
                .addCompare(Msg.Compare.newBuilder().setPath("/a").setTarget(Msg.Compare.Target.VALUE)
                        .setOp(Msg.Compare.Op.NOT_EQUAL).setRev(7).setValue(ByteString.copyFromUtf8("x")).setExists(true))
                .addCompare(Msg.Compare.newBuilder().setPath("/b"))
                .addSuccess(Msg.Op.newBuilder().setKind(Msg.Op.Kind.SET).setPath("/a").setValue(ByteString.copyFromUtf8("v"))
                        .setRev(0).setSession(42))
                .addSuccess(Msg.Op.newBuilder().setKind(Msg.Op.Kind.GET).setPath("/c"))
                .addFailure(Msg.Op.newBuilder().setKind(Msg.Op.Kind.DEL).setPath("/a").setRev(-1))
                .build();
    }

    @Test
    void theEdgeCarriesEveryFieldAndNoMore() {
        Msg.Txn wire = everyField();
        State.Txn state = Commands.txn(wire);
        assertThat(state.toByteString()).isEqualTo(wire.toByteString());
        assertThat(state.getSuccess(1).hasRev()).as("an unset rev stays unset (it defaults to -1, clobber)").isFalse();
        assertThat(state.getSuccess(1).getRev()).isEqualTo(-1);
        assertThat(state.getCompare(1).hasTarget()).isFalse();
    }

    @Test
    void aCommandWrittenWithTheClientTypesReadsTheSame() throws Exception {
        // The bytes of a Command whose txn was a client Txn (as written before the state machine
        // had its own types): field 1, length-delimited, then system = true.
        Msg.Txn wire = everyField();
        ByteString.Output out = ByteString.newOutput();
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        c.writeMessage(1, wire);
        c.writeBool(2, true);
        c.flush();
        ByteString old = out.toByteString();
        State.Command read = State.Command.parseFrom(old);
        assertThat(read.getSystem()).isTrue();
        assertThat(read.getTxn().toByteString()).isEqualTo(wire.toByteString());
        assertThat(read.getTxn().getSuccessList()).extracting(State.Op::getPath).containsExactly("/a", "/c");
        assertThat(read.getTxn().getCompare(0).getOp()).isEqualTo(State.Compare.Op.NOT_EQUAL);
        assertThat(read.getUnknownFields().asMap()).isEmpty();
        assertThat(read.toByteString()).isEqualTo(old);
    }
}
