package io.cairn.cli;

import io.cairn.client.IsDirException;
import io.cairn.client.NoEntException;
import io.cairn.client.Versioned;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", description = {"Print a file's value: its bytes exactly as stored, then a newline.",
        "--raw leaves out the newline (cairn get --raw /config/cert > cert.der).",
        "--prefix prints every file under PATH as PATH VALUE, one line each (--keys-only: PATH), at one revision."})
final class GetCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Option(names = "--rev", defaultValue = "0", description = "Read at this revision (default: latest).")
    long rev;

    @Option(names = "--raw", description = "Write only the value's bytes, with no newline after them.")
    boolean raw;

    @Option(names = "--prefix", description = "Every file under PATH (PATH itself too, when it is a file).")
    boolean prefix;

    @Option(names = "--keys-only", description = "With --prefix: the paths only.")
    boolean keysOnly;

    @Override
    public Integer call() {
        if (keysOnly && !prefix) {
            throw new CairnCli.UsageException("--keys-only goes with --prefix");
        }
        if (prefix) {
            if (raw) {
                throw new CairnCli.UsageException("--raw prints one value; with --prefix use --json for exact values");
            }
            return prefixed();
        }
        Versioned v = client().get(path, rev);
        if (v.rev() == Versioned.MISSING) {
            throw new NoEntException("no such file: " + path);
        }
        if (v.isDir()) {
            throw new IsDirException(path + " is a directory (list it with: cairn ls " + path + ")");
        }
        if (json()) {
            printJson(fileJson(path, v.value(), v.rev()));
        } else {
            // The bytes, not text decoded and encoded again: 0xff came out as U+FFFD.
            printBytes(v.value(), !raw);
        }
        return 0;
    }

    private int prefixed() {
        Prefixes.Listing listing = Prefixes.under(client(), path, rev);
        java.util.List<Versioned> files = listing.files();
        long at = listing.rev();
        if (json()) {
            com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode();
            o.put("rev", at);
            com.fasterxml.jackson.databind.node.ArrayNode a = o.putArray(keysOnly ? "paths" : "files");
            for (Versioned f : files) {
                if (keysOnly) {
                    a.add(f.path());
                } else {
                    a.add(fileJson(f.path(), f.value(), f.rev()));
                }
            }
            printJson(o);
        } else {
            files.forEach(f -> println(keysOnly ? f.path() : f.path() + " " + oneLine(f.value())));
        }
        return 0;
    }
}
