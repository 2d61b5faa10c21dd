package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.TxnResponse;
import io.cairn.client.Versioned;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Txn;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "txn", description = {
        "Run a transaction: if every --if compare holds, the --then ops, else the --else ops, as one revision.",
        "Compare: PATH rev|value|exists =|!=|<|> ARG. Op: set PATH VALUE | del PATH | get PATH.",
        "Prints SUCCEEDED or FAILED with the revision, then one line per op."})
final class TxnCommand extends ClientCommand {
    @Option(names = {"--if", "-c"}, paramLabel = "COMPARE", description = "A compare, e.g. \"/a rev = 3\".")
    List<String> compares = new ArrayList<>();

    @Option(names = {"--then", "-s"}, paramLabel = "OP", description = "An op run when every compare holds.")
    List<String> success = new ArrayList<>();

    @Option(names = {"--else", "-f"}, paramLabel = "OP", description = "An op run when a compare fails.")
    List<String> failure = new ArrayList<>();

    @Override
    public Integer call() {
        if (compares.isEmpty() && success.isEmpty() && failure.isEmpty()) {
            throw new CairnCli.UsageException("txn needs at least one --if, --then or --else");
        }
        Txn.Builder t = Txn.newBuilder();
        compares.forEach(c -> t.addCompare(TxnParser.compare(c)));
        List<Op> thenOps = success.stream().map(TxnParser::op).toList();
        List<Op> elseOps = failure.stream().map(TxnParser::op).toList();
        t.addAllSuccess(thenOps).addAllFailure(elseOps);
        TxnResponse r = client().txn(t.build());
        List<Op> ran = r.succeeded() ? thenOps : elseOps;
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("succeeded", r.succeeded());
            o.put("rev", r.rev());
            ArrayNode results = o.putArray("results");
            for (int i = 0; i < r.results().size(); i++) {
                Versioned v = r.results().get(i);
                ObjectNode one = fileJson(v.path(), v.value(), v.rev());
                one.put("op", ran.get(i).getKind().name());
                results.add(one);
            }
            printJson(o);
        } else {
            println((r.succeeded() ? "SUCCEEDED" : "FAILED") + " rev " + r.rev());
            for (int i = 0; i < r.results().size(); i++) {
                Versioned v = r.results().get(i);
                String kind = ran.get(i).getKind().name();
                println(kind + " " + v.path() + " " + v.rev() + (kind.equals("GET") && v.value() != null ? " " + oneLine(v.value()) : ""));
            }
        }
        return 0;
    }
}
