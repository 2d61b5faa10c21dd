package io.cairn.node.server;

import io.cairn.proto.Msg;
import io.cairn.proto.State;

/**
 * A client's transaction, in the client protocol's types, as the state machine's command types:
 * the one place the first become the second. The two keep the same fields today (the WAL's
 * format was written with the client's types, see state.proto), but the client protocol may
 * grow without the log's format growing with it.
 */
public final class Commands {
    private Commands() {}

    public static State.Txn txn(Msg.Txn wire) {
        State.Txn.Builder t = State.Txn.newBuilder();
        wire.getCompareList().forEach(c -> t.addCompare(compare(c)));
        wire.getSuccessList().forEach(o -> t.addSuccess(op(o)));
        wire.getFailureList().forEach(o -> t.addFailure(op(o)));
        return t.build();
    }

    public static State.Op op(Msg.Op wire) {
        State.Op.Builder o = State.Op.newBuilder();
        if (wire.hasKind()) {
            o.setKind(State.Op.Kind.forNumber(wire.getKind().getNumber()));
        }
        if (wire.hasPath()) {
            o.setPath(wire.getPath());
        }
        if (wire.hasValue()) {
            o.setValue(wire.getValue());
        }
        if (wire.hasRev()) {
            o.setRev(wire.getRev());
        }
        if (wire.hasSession()) {
            o.setSession(wire.getSession());
        }
        return o.build();
    }

    public static State.Compare compare(Msg.Compare wire) {
        State.Compare.Builder c = State.Compare.newBuilder();
        if (wire.hasPath()) {
            c.setPath(wire.getPath());
        }
        if (wire.hasTarget()) {
            c.setTarget(State.Compare.Target.forNumber(wire.getTarget().getNumber()));
        }
        if (wire.hasOp()) {
            c.setOp(State.Compare.Op.forNumber(wire.getOp().getNumber()));
        }
        if (wire.hasRev()) {
            c.setRev(wire.getRev());
        }
        if (wire.hasValue()) {
            c.setValue(wire.getValue());
        }
        if (wire.hasExists()) {
            c.setExists(wire.getExists());
        }
        return c.build();
    }
}
