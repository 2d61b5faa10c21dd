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

    @Option(names = "--ephemeral", description = "Bind the file to a session of this command: it is deleted when the"
            + " command ends or dies (needs --hold).")
    boolean ephemeral;

    @Option(names = "--ttl", defaultValue = "10s", paramLabel = "DURATION",
            description = "The session's TTL with --ephemeral (default ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--hold", description = "Keep the session (and the file) alive until interrupted or killed.")
    boolean hold;

    @Override
    public Integer call() throws IOException, InterruptedException {
        byte[] bytes = value.equals("-") ? System.in.readAllBytes() : value.getBytes(StandardCharsets.UTF_8);
        if (ephemeral && !hold) {
            throw new CairnCli.UsageException("an ephemeral file lives as long as its session; add --hold to keep it");
        }
        if (hold && !ephemeral) {
            throw new CairnCli.UsageException("--hold keeps an ephemeral file alive; add --ephemeral");
        }
        if (ephemeral) {
            return holdEphemeral(bytes);
        }
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

    private int holdEphemeral(byte[] bytes) throws InterruptedException {
        io.cairn.client.Session session = client().openSession(Durations.parse(ttl));
        java.util.concurrent.CountDownLatch over = new java.util.concurrent.CountDownLatch(1);
        Thread hook = new Thread(() -> {
            // Interrupted or terminated: end the session cleanly so the file goes at once.
            try {
                session.close();
            } catch (RuntimeException ignored) {
                // the cluster expires it after the TTL anyway
            }
            over.countDown();
        }, "cairn-hold-exit");
        Runtime.getRuntime().addShutdownHook(hook);
        long newRev = session.set(path, bytes, rev);
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("path", path);
            o.put("rev", newRev);
            o.put("session", session.id());
            printJson(o);
        } else {
            println(Long.toString(newRev));
        }
        root.out.flush();
        io.cairn.client.CairnException[] expired = new io.cairn.client.CairnException[1];
        session.onExpired(e -> {
            expired[0] = e;
            over.countDown();
        });
        over.await();
        if (expired[0] != null) {
            throw expired[0];
        }
        return 0;
    }
}
