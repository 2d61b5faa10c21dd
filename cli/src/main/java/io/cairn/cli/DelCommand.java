package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "del", description = "Delete a file; prints the new revision.")
final class DelCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Option(names = "--rev", defaultValue = "-1",
            description = "Delete only if the file is at this rev (default -1: whatever it is).")
    long rev;

    @Override
    public Integer call() {
        long newRev = client().del(path, rev);
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("path", path);
            o.put("rev", newRev);
            printJson(o);
        } else {
            println(Long.toString(newRev));
        }
        return 0;
    }
}
