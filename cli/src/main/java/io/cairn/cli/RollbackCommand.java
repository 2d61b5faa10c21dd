package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.cairn.client.Change;
import io.cairn.client.Page;
import io.cairn.client.RevMismatchException;
import io.cairn.client.TxnResponse;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Txn;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "rollback", description = {"Put every file under PREFIX back as it was at revision --to, in one transaction (one new revision):",
        "changed and deleted files get their old values again, files added since are deleted.",
        "Refused, changing nothing, if a file it touches changed after it looked, or, with --expect-rev R, if anything",
        "under PREFIX changed after revision R (the one --dry-run prints). Prints the new revision."})
final class RollbackCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PREFIX")
    String prefix;

    @Option(names = "--to", required = true, paramLabel = "REV", description = "The revision to go back to.")
    long to;

    @Option(names = "--dry-run", description = "Print what it would do, and the revision it looked at, and change nothing.")
    boolean dryRun;

    @Option(names = "--expect-rev", defaultValue = "0", paramLabel = "REV",
            description = "Refuse if anything under PREFIX changed after this revision.")
    long expectRev;

    @Override
    public Integer call() {
        long now = 0;
        if (expectRev > 0) {
            Page<Change> since = client().diff(prefix, expectRev, 0);
            if (!since.items().isEmpty()) {
                throw new RevMismatchException(since.items().size() + " file(s) under " + prefix + " changed after rev " + expectRev
                        + " (" + since.items().get(0).path() + " first); nothing was rolled back: look again with --dry-run", -1);
            }
            now = since.rev();
        }
        Page<Change> d = client().diff(prefix, to, now);
        now = d.rev();
        if (d.items().isEmpty()) {
            report(now, 0, "nothing to roll back: " + prefix + " is as it was at rev " + to);
            return 0;
        }
        if (dryRun) {
            if (json()) {
                ObjectNode o = DiffCommand.json(prefix, to, d);
                o.put("dry_run", true);
                printJson(o);
            } else {
                for (Change c : d.items()) {
                    println((c.before() == null ? "DEL " : "SET ") + c.path());
                }
                println("looked at rev " + now + "; to roll back what this shows: cairn rollback " + prefix + " --to " + to
                        + " --expect-rev " + now);
            }
            return 0;
        }
        Txn.Builder t = Txn.newBuilder();
        for (Change c : d.items()) {
            // Each file as it was looked at: its rev then, or missing (rev 0).
            t.addCompare(revIs(c.path(), c.after() == null ? 0 : c.after().rev()));
            t.addSuccess(c.before() == null ? Op.newBuilder().setKind(Op.Kind.DEL).setPath(c.path())
                    : Op.newBuilder().setKind(Op.Kind.SET).setPath(c.path()).setValue(ByteString.copyFrom(c.before().value())));
        }
        // And nothing else under the prefix since the look (--expect-rev, else the diff's revision): a
        // file created meanwhile would otherwise stay beside the rolled-back ones.
        TxnResponse r = txnGuarded(t, unchangedSince(prefix, expectRev > 0 ? expectRev : now));
        if (!r.succeeded()) {
            throw new RevMismatchException("a file under " + prefix + " changed after rev " + now
                    + " while rolling back; nothing was rolled back: look again with --dry-run", -1);
        }
        report(r.rev(), d.items().size(), null);
        return 0;
    }

    private void report(long rev, int files, String note) {
        if (json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("prefix", prefix);
            o.put("to", to);
            o.put("rev", rev);
            o.put("files", files);
            printJson(o);
        } else {
            // The revision on stdout either way, so a script can go on from it.
            println(Long.toString(rev));
            if (note != null) {
                root.err.println("cairn: " + note);
            }
        }
    }
}
