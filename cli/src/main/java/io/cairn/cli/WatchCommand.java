package io.cairn.cli;

import io.cairn.client.CairnException;
import io.cairn.client.Event;
import io.cairn.client.Watch;
import io.cairn.client.WatchListener;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "watch", description = {"Print every change matching a glob as REV SET|DEL PATH VALUE, in order, until interrupted or --count events.",
        "VALUE is escaped to stay on one line, as walk does; --json gives the exact bytes."})
final class WatchCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "GLOB")
    String glob;

    @Option(names = "--from", defaultValue = "0", description = "First revision to report (default: the next change).")
    long from;

    @Option(names = "--count", defaultValue = "0", description = "Stop after this many events (default: never).")
    long count;

    @Override
    public Integer call() throws InterruptedException {
        if (count < 0) {
            throw new CairnCli.UsageException("--count must not be negative");
        }
        if (from < 0) {
            throw new CairnCli.UsageException("--from must not be negative");
        }
        LinkedBlockingQueue<Object> q = new LinkedBlockingQueue<>();
        try (Watch w = client().watch(glob, from, new WatchListener() {
            @Override
            public void onEvent(Event event) {
                q.add(event);
            }

            @Override
            public void onError(CairnException error) {
                q.add(error);
            }
        })) {
            long seen = 0;
            while (count == 0 || seen < count) {
                Object next = q.take();
                if (next instanceof CairnException e) {
                    throw e;
                }
                Event e = (Event) next;
                if (json()) {
                    printJson(eventJson(e));
                } else {
                    println(eventLine(e));
                }
                seen++;
            }
        }
        return 0;
    }
}
