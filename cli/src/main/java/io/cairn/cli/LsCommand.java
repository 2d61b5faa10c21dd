package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.Page;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ls", description = "List a directory's children, one per line, in byte order.")
final class LsCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH", defaultValue = "/")
    String path;

    @Option(names = "--rev", defaultValue = "0", description = "List at this revision (default: latest).")
    long rev;

    @Override
    public Integer call() {
        List<String> names = new ArrayList<>();
        long at = rev;
        boolean more = true;
        while (more) {
            Page<String> p = CairnClientAwait.await(client().getdirAsync(path, at, names.size(), 1000));
            at = p.rev();
            names.addAll(p.items());
            more = p.more();
        }
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("path", path);
            o.put("rev", at);
            ArrayNode a = o.putArray("names");
            names.forEach(a::add);
            printJson(o);
        } else {
            names.forEach(this::println);
        }
        return 0;
    }
}
