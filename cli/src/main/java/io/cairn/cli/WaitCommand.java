package io.cairn.cli;

import io.cairn.client.Event;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "wait", description = {"Wait for the first change matching a glob and print it as REV SET|DEL PATH VALUE.",
        "Exits 3 (TIMEOUT) when --for runs out with no change, 1 when the store cannot be reached."})
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
                // Its own exit code: a quiet store is not an unreachable one (UNAVAILABLE, exit 1).
                root.err.println("cairn: TIMEOUT: no change matching " + glob + " within " + forDuration);
                return CairnCli.EXIT_TIMEOUT;
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
