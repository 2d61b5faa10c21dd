package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "set", description = "Write a file; prints the new revision.")
final class SetCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Parameters(index = "1", paramLabel = "VALUE", description = "The value; - reads it from standard input.")
    String value;

    @Option(names = "--rev", defaultValue = "-1",
            description = "Write only if the file is at this rev (0: create only; default -1: whatever it is).")
    long rev;

    @Override
    public Integer call() throws IOException {
        byte[] bytes = value.equals("-") ? System.in.readAllBytes() : value.getBytes(StandardCharsets.UTF_8);
        long newRev = client().set(path, bytes, rev);
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
