package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.Page;
import io.cairn.client.Versioned;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "walk", description = {"Print every file matching a glob (* within a segment, ** across, ? one character) as PATH REV VALUE, one line each.",
        "VALUE is escaped to stay on one line (\\n \\t \\r \\\\ and \\xHH for other control and non-UTF-8 bytes);",
        "get or --json give the exact bytes."})
final class WalkCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "GLOB")
    String glob;

    @Option(names = "--rev", defaultValue = "0", description = "Walk at this revision (default: latest).")
    long rev;

    @Override
    public Integer call() {
        Page<Versioned> all = client().walk(glob, rev);
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("rev", all.rev());
            ArrayNode files = o.putArray("files");
            all.items().forEach(f -> files.add(fileJson(f.path(), f.value(), f.rev())));
            printJson(o);
        } else {
            all.items().forEach(f -> println(f.path() + " " + f.rev() + " " + oneLine(f.value())));
        }
        return 0;
    }
}
