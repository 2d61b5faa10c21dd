package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.RevInfo;
import picocli.CommandLine.Command;

@Command(name = "rev", description = "Print the current revision (--json adds the oldest readable one).")
final class RevCommand extends ClientCommand {
    @Override
    public Integer call() {
        RevInfo r = client().rev();
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("rev", r.rev());
            o.put("oldest", r.oldest());
            printJson(o);
        } else {
            println(Long.toString(r.rev()));
        }
        return 0;
    }
}
