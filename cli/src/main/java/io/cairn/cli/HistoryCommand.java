package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.Page;
import io.cairn.client.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "history", description = {"List every kept version of a file, oldest first: REV SIZE, or REV DELETED.",
        "The first may be older than the oldest readable revision: the version in effect then.",
        "Read one with: cairn get PATH --rev REV"})
final class HistoryCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Override
    public Integer call() {
        Page<Version> h = client().history(path);
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("path", path);
            o.put("rev", h.rev());
            ArrayNode versions = o.putArray("versions");
            h.items().forEach(v -> versions.addObject().put("rev", v.rev()).put("size", v.size()).put("deleted", v.deleted()));
            printJson(o);
        } else {
            h.items().forEach(v -> println(v.rev() + " " + (v.deleted() ? "DELETED" : Integer.toString(v.size()))));
        }
        return 0;
    }
}
