package io.cairn.cli;

import io.cairn.client.Event;
import io.cairn.client.UnavailableException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "wait", description = "Wait for the first change matching a glob and print it as REV SET|DEL PATH VALUE.")
final class WaitCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "GLOB")
    String glob;

    @Option(names = "--from", defaultValue = "0", description = "First revision to consider (default: the next change).")
    long from;

    @Option(names = "--for", paramLabel = "DURATION", description = "Give up after this long (default: wait forever).")
    String forDuration;

    @Override
    public Integer call() {
        if (from < 0) {
            throw new CairnCli.UsageException("--from must not be negative");
        }
        Event e;
        if (forDuration == null) {
            e = CairnClientAwait.await(client().waitAsync(glob, from));
        } else {
            e = client().waitFor(glob, from, Durations.parse(forDuration));
            if (e == null) {
                throw new UnavailableException("no change matching " + glob + " within " + forDuration);
            }
        }
        if (json()) {
            printJson(eventJson(e));
        } else {
            println(eventLine(e));
        }
        return 0;
    }
}
