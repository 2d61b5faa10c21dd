package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.NoEntException;
import io.cairn.client.StatInfo;
import io.cairn.client.Versioned;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "stat", description = "Print a file's rev and length, or a directory's child count.")
final class StatCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Option(names = "--rev", defaultValue = "0", description = "At this revision (default: latest).")
    long rev;

    @Override
    public Integer call() {
        StatInfo s = client().stat(path, rev);
        if (s.rev() == Versioned.MISSING) {
            throw new NoEntException("no such file or directory: " + path);
        }
        boolean dir = s.rev() == Versioned.DIR;
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("path", path);
            o.put("rev", s.rev());
            o.put("dir", dir);
            o.put(dir ? "children" : "len", s.len());
            printJson(o);
        } else if (dir) {
            println(path + " dir children=" + s.len());
        } else {
            println(path + " file rev=" + s.rev() + " len=" + s.len());
        }
        return 0;
    }
}
