package io.cairn.cli;

import io.cairn.client.IsDirException;
import io.cairn.client.NoEntException;
import io.cairn.client.Versioned;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", description = {"Print a file's value: its bytes exactly as stored, then a newline.",
        "--raw leaves out the newline (cairn get --raw /config/cert > cert.der)."})
final class GetCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Option(names = "--rev", defaultValue = "0", description = "Read at this revision (default: latest).")
    long rev;

    @Option(names = "--raw", description = "Write only the value's bytes, with no newline after them.")
    boolean raw;

    @Override
    public Integer call() {
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
}
