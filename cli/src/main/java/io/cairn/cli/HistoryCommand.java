package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.Page;
import io.cairn.client.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "history", description = {"List every kept version of a file, oldest first: REV SIZE (or DELETED), then",
        "when the leader proposed it and who made it, when known.",
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
            h.items().forEach(v -> {
                ObjectNode one = versions.addObject().put("rev", v.rev()).put("size", v.size()).put("deleted", v.deleted());
                if (v.timeMs() != 0) {
                    one.put("time", java.time.Instant.ofEpochMilli(v.timeMs()).toString());
                }
                if (v.author() != null) {
                    one.put("author", v.author());
                }
            });
            printJson(o);
        } else {
            h.items().forEach(v -> println(v.rev() + " " + (v.deleted() ? "DELETED" : Integer.toString(v.size()))
                    + (v.timeMs() != 0 ? " " + java.time.Instant.ofEpochMilli(v.timeMs()) : "")
                    + (v.author() != null ? " " + v.author() : "")));
        }
        return 0;
    }
}
