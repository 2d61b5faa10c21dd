package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.cairn.client.CairnClient;
import io.cairn.client.InvalidException;
import io.cairn.client.RevMismatchException;
import io.cairn.client.TxnResponse;
import io.cairn.client.Versioned;
import io.cairn.node.rollout.RolloutStatus;
import io.cairn.node.rollout.Stage;
import io.cairn.node.store.FileEntry;
import io.cairn.node.store.StoreException;
import io.cairn.proto.Msg.Op;
import io.cairn.proto.Msg.Txn;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "rollout", description = {
        "Delivery of the config under PREFIX to the pods that run it, from their sidecars' presence.",
        "  cairn rollout status PREFIX [--rev R] [--wait [--wait-timeout D]]",
        "      each pod that watches PREFIX: applied (published R, by default the newest file it sees under PREFIX),",
        "      lagging, or failed (its sidecar could not publish); --wait blocks until all applied (exit 0) or one",
        "      failed (exit 1); exit 1 too when the wait times out. Without --wait, exit 1 only if one failed.",
        "  cairn rollout stage PREFIX (--to POD[,POD...] | --to-group GROUP[,...]) --set KEY=VALUE [--set ...]",
        "      give KEYs new values for the named pods, or the pods labelled cairn.io/group=GROUP, only (overlays",
        "      PREFIX/.pods/POD/KEY, PREFIX/.groups/GROUP/KEY; no other pod sees them), in one transaction; one",
        "      stage per prefix at a time.",
        "  cairn rollout promote PREFIX   the staged values become everyone's (one transaction); the stage ends",
        "  cairn rollout abort PREFIX     the staged values go; the stage's pods return to the shared ones"})
final class RolloutCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ACTION", description = "status, stage, promote or abort")
    String action;

    @Parameters(index = "1", paramLabel = "PREFIX")
    String prefix;

    @Option(names = "--rev", defaultValue = "0", paramLabel = "REV", description = "status: the revision each pod must have applied.")
    long rev;

    @Option(names = "--wait", description = "status: block until every pod applied, or one failed.")
    boolean waitDone;

    @Option(names = "--wait-timeout", defaultValue = "5m", paramLabel = "DURATION", description = "status --wait: give up after this.")
    String waitTimeout;

    @Option(names = "--to", split = ",", paramLabel = "POD", description = "stage: the pods that get the staged values.")
    List<String> pods = new ArrayList<>();

    @Option(names = "--to-group", split = ",", paramLabel = "GROUP",
            description = "stage: the groups (pod label cairn.io/group) that get the staged values.")
    List<String> groups = new ArrayList<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "stage: a key (relative to PREFIX) and its staged value.")
    List<String> sets = new ArrayList<>();

    @Override
    public Integer call() {
        takeOptions();
        if (!prefix.startsWith("/") || prefix.length() > 1 && prefix.endsWith("/")) {
            throw new CairnCli.UsageException("PREFIX is a path like /config/web");
        }
        if (!action.equals("status") && (rev != 0 || waitDone)) {
            throw new CairnCli.UsageException("--rev and --wait are for rollout status");
        }
        if (!action.equals("stage") && (!pods.isEmpty() || !groups.isEmpty() || !sets.isEmpty())) {
            throw new CairnCli.UsageException("--to, --to-group and --set are for rollout stage");
        }
        return switch (action) {
            case "status" -> status();
            case "stage" -> stage();
            case "promote" -> promote();
            case "abort" -> abort();
            default -> throw new CairnCli.UsageException("unknown rollout action \"" + action + "\" (use status, stage, promote or abort)");
        };
    }

    // ---- status ------------------------------------------------------------------------------

    private int status() {
        Duration timeout = Durations.parse(waitTimeout);
        long deadline = System.nanoTime() + timeout.toNanos();
        CairnClient c = client();
        while (true) {
            RolloutStatus.Report r = report(c);
            if (!waitDone || r.done() || r.failed()) {
                print(r);
                return r.failed() ? CairnCli.EXIT_ERROR : 0;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                print(r);
                root.err.println("cairn: not every pod applied the config under " + prefix + " within " + waitTimeout
                        + " (" + r.count(RolloutStatus.State.APPLIED) + " of " + r.pods().size() + " did)");
                return CairnCli.EXIT_ERROR;
            }
            // Any sidecar's next publication rewrites its presence: look again then.
            c.waitFor(RolloutStatus.PRESENCE + "/**", r.rev() + 1, Duration.ofNanos(Math.min(left, Duration.ofSeconds(10).toNanos())));
        }
    }

    /** The report from two listings at one revision, as the members' /v1/rollout computes it from its tree. */
    private RolloutStatus.Report report(CairnClient c) {
        var files = c.walk(prefix.equals("/") ? "/**" : prefix + "/**", 0);
        var presences = c.walk(RolloutStatus.PRESENCE + "/**", files.rev());
        return RolloutStatus.of(prefix, rev, entries(files.items()), entries(presences.items()), files.rev());
    }

    private static List<FileEntry> entries(List<Versioned> vs) {
        return vs.stream().map(v -> new FileEntry(v.path(), v.value(), v.rev())).toList();
    }

    private void print(RolloutStatus.Report r) {
        if (json()) {
            printJson(r.toJson());
            return;
        }
        if (r.stage() != null) {
            println("stage: " + r.stage().who() + " get " + String.join(", ", r.stage().keys()));
        }
        if (r.pods().isEmpty()) {
            println("no pod runs the config under " + prefix + " (none of the sidecars' presence names it)");
            return;
        }
        int w = Math.max("POD".length(), r.pods().stream().mapToInt(p -> p.name().length()).max().orElse(0));
        println(String.format("%-" + w + "s  %-7s  %8s  %8s  %s", "POD", "STATE", "REV", "TARGET", "STATUS"));
        for (RolloutStatus.Pod p : r.pods()) {
            println(String.format("%-" + w + "s  %-7s  %8d  %8d  %s", p.name(), p.state().name().toLowerCase(), p.rev(), p.target(),
                    p.status() + (p.staged() ? " (staged)" : "") + (p.problem() == null ? "" : ": " + p.problem())));
        }
        println(r.pods().size() + " pods at rev " + r.rev() + ": " + r.count(RolloutStatus.State.APPLIED) + " applied, "
                + r.count(RolloutStatus.State.LAGGING) + " lagging, " + r.count(RolloutStatus.State.FAILED) + " failed");
    }

    // ---- stage, promote, abort ---------------------------------------------------------------

    private int stage() {
        if (pods.isEmpty() && groups.isEmpty() || sets.isEmpty()) {
            throw new CairnCli.UsageException("usage: cairn rollout stage PREFIX (--to POD[,POD...] | --to-group GROUP[,...])"
                    + " --set KEY=VALUE [--set ...]");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String s : sets) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new CairnCli.UsageException("--set takes KEY=VALUE, not \"" + s + "\"");
            }
            if (values.put(s.substring(0, eq), s.substring(eq + 1)) != null) {
                throw new CairnCli.UsageException("--set names " + s.substring(0, eq) + " twice");
            }
        }
        Stage stage;
        try {
            stage = new Stage(pods, groups, List.copyOf(values.keySet()));
        } catch (StoreException e) {
            throw new CairnCli.UsageException(e.getMessage());
        }
        String record = Stage.recordPath(prefix);
        Txn.Builder t = Txn.newBuilder().addCompare(revIs(record, 0));
        for (Stage.Overlay o : stage.overlays(prefix)) {
            // A lasting value of a pod's or a group's own is not the stage's to overwrite (or, on promote, to delete).
            t.addCompare(revIs(o.path(), 0));
            t.addSuccess(set(o.path(), values.get(o.key()).getBytes(StandardCharsets.UTF_8)));
        }
        t.addSuccess(set(record, stage.toJson()));
        TxnResponse r = client().txn(t.build());
        if (!r.succeeded()) {
            Versioned open = client().get(record);
            if (open.value() != null) {
                throw new RevMismatchException("a stage is already open under " + prefix + " (" + describe(record, open)
                        + "); promote or abort it first", -1);
            }
            throw new RevMismatchException("a pod or group of the stage already has its own value for a staged key (under "
                    + prefix + "/.pods/ or .groups/); nothing was staged", -1);
        }
        if (json()) {
            ObjectNode o = JSON.createObjectNode().put("prefix", prefix).put("rev", r.rev());
            stage.pods().forEach(o.putArray("pods")::add);
            stage.groups().forEach(o.putArray("groups")::add);
            stage.keys().forEach(o.putArray("keys")::add);
            printJson(o);
        } else {
            println("staged " + String.join(", ", stage.keys()) + " for " + stage.who() + " (rev " + r.rev() + ")");
        }
        return 0;
    }

    private int promote() {
        Open open = open();
        Txn.Builder t = Txn.newBuilder().addCompare(revIs(open.recordPath, open.record.rev()));
        for (String key : open.stage.keys()) {
            byte[] value = null;
            for (Versioned o : open.overlays.getOrDefault(key, List.of())) {
                if (value != null && !Arrays.equals(value, o.value())) {
                    throw new InvalidException("the stage's pods hold different values for " + key
                            + " (someone changed " + o.path() + "); make them equal, or abort the stage");
                }
                value = o.value();
                t.addCompare(revIs(o.path(), o.rev()));
                t.addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath(o.path()));
            }
            if (value == null) {
                throw new InvalidException("no pod of the stage holds a value for " + key + " any more; abort the stage");
            }
            t.addSuccess(set(Stage.sharedPath(prefix, key), value));
        }
        t.addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath(open.recordPath));
        return finish(t, "promoted " + String.join(", ", open.stage.keys()) + " to every pod");
    }

    private int abort() {
        Open open = open();
        Txn.Builder t = Txn.newBuilder().addCompare(revIs(open.recordPath, open.record.rev()));
        for (List<Versioned> os : open.overlays.values()) {
            for (Versioned o : os) {
                t.addCompare(revIs(o.path(), o.rev()));
                t.addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath(o.path()));
            }
        }
        t.addSuccess(Op.newBuilder().setKind(Op.Kind.DEL).setPath(open.recordPath));
        return finish(t, "abandoned the stage of " + String.join(", ", open.stage.keys()) + " for " + open.stage.who());
    }

    /** The open stage: its record and each staged key's overlays as read now, all at one revision. */
    private record Open(String recordPath, Versioned record, Stage stage, Map<String, List<Versioned>> overlays) {}

    private Open open() {
        String record = Stage.recordPath(prefix);
        var files = client().walk(prefix + "/.*/**", 0);
        Versioned rec = files.items().stream().filter(v -> v.path().equals(record)).findFirst().orElse(null);
        if (rec == null) {
            throw new io.cairn.client.NoEntException("no stage is open under " + prefix + " (no " + record + ")");
        }
        Stage stage;
        try {
            stage = Stage.parse(record, rec.value());
        } catch (StoreException e) {
            throw new InvalidException(e.getMessage());
        }
        Map<String, List<Versioned>> overlays = new LinkedHashMap<>();
        for (String key : stage.keys()) {
            overlays.put(key, new ArrayList<>());
        }
        for (Stage.Overlay o : stage.overlays(prefix)) {
            files.items().stream().filter(v -> v.path().equals(o.path())).findFirst().ifPresent(overlays.get(o.key())::add);
        }
        return new Open(record, rec, stage, overlays);
    }

    private int finish(Txn.Builder t, String done) {
        TxnResponse r = client().txn(t.build());
        if (!r.succeeded()) {
            throw new RevMismatchException("the stage under " + prefix + " changed while this ran; nothing was changed: look again", -1);
        }
        if (json()) {
            printJson(JSON.createObjectNode().put("prefix", prefix).put("rev", r.rev()));
        } else {
            println(done + " (rev " + r.rev() + ")");
        }
        return 0;
    }

    private static Op set(String path, byte[] value) {
        return Op.newBuilder().setKind(Op.Kind.SET).setPath(path).setValue(ByteString.copyFrom(value)).build();
    }

    private static String describe(String record, Versioned v) {
        try {
            Stage s = Stage.parse(record, v.value());
            return s.who() + " get " + String.join(", ", s.keys());
        } catch (StoreException e) {
            return e.getMessage();
        }
    }
}
