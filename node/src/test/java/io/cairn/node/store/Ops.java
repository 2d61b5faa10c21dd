package io.cairn.node.store;

import com.google.protobuf.ByteString;
import io.cairn.proto.State.Command;
import io.cairn.proto.State.Compare;
import io.cairn.proto.State.Op;
import io.cairn.proto.State.Txn;
import java.nio.charset.StandardCharsets;

/** Shorthands for building commands in tests. */
final class Ops {
    private Ops() {}

    static Op set(String path, String value, long rev) {
        return Op.newBuilder().setKind(Op.Kind.SET).setPath(path).setValue(ByteString.copyFromUtf8(value)).setRev(rev).build();
    }

    static Op del(String path, long rev) {
        return Op.newBuilder().setKind(Op.Kind.DEL).setPath(path).setRev(rev).build();
    }

    static Op get(String path) {
        return Op.newBuilder().setKind(Op.Kind.GET).setPath(path).build();
    }

    static Command cmd(Op... ops) {
        Txn.Builder t = Txn.newBuilder();
        for (Op o : ops) {
            t.addSuccess(o);
        }
        return Command.newBuilder().setTxn(t).build();
    }

    static Command system(Op... ops) {
        return cmd(ops).toBuilder().setSystem(true).build();
    }

    static Compare revIs(String path, long rev) {
        return Compare.newBuilder().setPath(path).setTarget(Compare.Target.REV).setOp(Compare.Op.EQUAL).setRev(rev).build();
    }

    static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
