package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.RevMismatchException;
import io.cairn.client.TxnResponse;
import io.cairn.client.Versioned;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Txn;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "del", description = {"Delete a file; prints the new revision.",
        "--prefix deletes PATH and every file under it in one transaction, one revision."})
final class DelCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Option(names = "--rev", defaultValue = "-1",
            description = "Delete only if the file is at this rev (default -1: whatever it is).")
    long rev;

    @Option(names = "--prefix", description = "PATH and every file under it, as one transaction.")
    boolean prefix;

    /** How often del --prefix lists again when a file under the prefix changed in between. */
    static final int PREFIX_TRIES = 5;

    @Override
    public Integer call() {
        if (prefix) {
            if (rev != -1) {
                throw new CairnCli.UsageException("--rev names one file's revision; del --prefix compares each file itself");
            }
            return deletePrefix();
        }
        long newRev = client().del(path, rev);
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

    /**
     * Lists the files under the prefix, then deletes them all in one transaction that holds only
     * if nothing under the prefix changed since the listing (each file's rev, and a PREFIX_REV
     * compare for files created meanwhile); when something did, lists again.
     */
    private int deletePrefix() {
        for (int attempt = 1; attempt <= PREFIX_TRIES; attempt++) {
            Prefixes.Listing l = Prefixes.under(client(), path, 0);
            Txn.Builder t = Txn.newBuilder();
            for (Versioned f : l.files()) {
                t.addCompare(revIs(f.path(), f.rev()));
                t.addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath(f.path()));
            }
            long at = l.rev();
            if (!l.files().isEmpty()) {
                // Nothing under the prefix may have changed since the listing: a file created
                // meanwhile fails the guard, and the next listing deletes it too.
                TxnResponse r = txnGuarded(t, unchangedSince(path, l.rev()));
                if (!r.succeeded()) {
                    continue; // one changed after the listing: list again
                }
                at = r.rev();
            }
            if (json()) {
                ObjectNode o = JSON.createObjectNode();
                o.put("prefix", path);
                o.put("deleted", l.files().size());
                o.put("rev", at);
                ArrayNode paths = o.putArray("paths");
                l.files().forEach(f -> paths.add(f.path()));
                printJson(o);
            } else {
                println(Long.toString(at));
            }
            return 0;
        }
        throw new RevMismatchException("files under " + path + " changed between listing and deleting " + PREFIX_TRIES
                + " times; nothing was deleted", -1);
    }
}
