package io.cairn.cli;

import com.google.protobuf.ByteString;
import io.cairn.proto.Msg.Compare;
import io.cairn.proto.Msg.Op;

/**
 * Parses the txn command's clauses.
 * <pre>
 * compare: PATH rev|value|exists =|!=|&lt;|&gt; ARG    e.g. "/a rev = 3", "/a value != off", "/a exists = false"
 * op:      set PATH VALUE | del PATH | get PATH        (VALUE is the rest of the line)
 * </pre>
 * Writes inside a transaction clobber; guard them with compares.
 */
final class TxnParser {
    private TxnParser() {}

    static Compare compare(String clause) {
        String[] p = clause.trim().split("\\s+", 4);
        if (p.length < 4) {
            throw bad(clause, "a compare is PATH rev|value|exists =|!=|<|> ARG");
        }
        Compare.Builder c = Compare.newBuilder().setPath(p[0]);
        c.setOp(switch (p[2]) {
            case "=", "==" -> Compare.Op.EQUAL;
            case "!=" -> Compare.Op.NOT_EQUAL;
            case "<" -> Compare.Op.LESS;
            case ">" -> Compare.Op.GREATER;
            default -> throw bad(clause, "unknown operator \"" + p[2] + "\" (use = != < >)");
        });
        switch (p[1]) {
            case "rev" -> {
                c.setTarget(Compare.Target.REV);
                try {
                    c.setRev(Long.parseLong(p[3].trim()));
                } catch (NumberFormatException e) {
                    throw bad(clause, "rev must be an integer, got \"" + p[3] + "\"");
                }
            }
            case "value" -> c.setTarget(Compare.Target.VALUE).setValue(ByteString.copyFromUtf8(p[3]));
            case "exists" -> {
                String v = p[3].trim();
                if (!v.equals("true") && !v.equals("false")) {
                    throw bad(clause, "exists compares with true or false, got \"" + v + "\"");
                }
                c.setTarget(Compare.Target.EXISTS).setExists(Boolean.parseBoolean(v));
            }
            default -> throw bad(clause, "unknown target \"" + p[1] + "\" (use rev, value or exists)");
        }
        return c.build();
    }

    static Op op(String clause) {
        String[] p = clause.trim().split("\\s+", 3);
        if (p.length < 2) {
            throw bad(clause, "an op is set PATH VALUE, del PATH or get PATH");
        }
        return switch (p[0]) {
            case "set" -> {
                if (p.length < 3) {
                    throw bad(clause, "set needs PATH and VALUE");
                }
                yield Op.newBuilder().setKind(Op.Kind.SET).setPath(p[1]).setValue(ByteString.copyFromUtf8(p[2])).build();
            }
            case "del" -> Op.newBuilder().setKind(Op.Kind.DEL).setPath(p[1]).build();
            case "get" -> Op.newBuilder().setKind(Op.Kind.GET).setPath(p[1]).build();
            default -> throw bad(clause, "unknown op \"" + p[0] + "\" (use set, del or get)");
        };
    }

    private static CairnCli.UsageException bad(String clause, String why) {
        return new CairnCli.UsageException("bad txn clause \"" + clause + "\": " + why);
    }
}
