package io.cairn.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import io.cairn.client.Change;
import io.cairn.client.Page;
import io.cairn.client.Versioned;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "diff", description = {"Show the files under PREFIX added (A), changed (M) or deleted (D) from one revision to another,",
        "each followed by a unified diff of its values when both are UTF-8 text (--name-only: the lines A|M|D PATH only)."})
final class DiffCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "PREFIX")
    String prefix;

    @Option(names = "--from", required = true, paramLabel = "REV", description = "The earlier revision.")
    long from;

    @Option(names = "--to", defaultValue = "0", paramLabel = "REV", description = "The later revision (default: the latest).")
    long to;

    @Option(names = "--name-only", description = "Only the A|M|D PATH lines.")
    boolean nameOnly;

    @Override
    public Integer call() {
        Page<Change> d = client().diff(prefix, from, to);
        if (json()) {
            printJson(json(prefix, from, d));
            return 0;
        }
        for (Change c : d.items()) {
            println(letter(c) + " " + c.path());
            if (!nameOnly) {
                unified(c, from, d.rev()).forEach(this::println);
            }
        }
        return 0;
    }

    static String letter(Change c) {
        return switch (c.kind()) {
            case ADDED -> "A";
            case CHANGED -> "M";
            case DELETED -> "D";
        };
    }

    static ObjectNode json(String prefix, long from, Page<Change> d) {
        ObjectNode o = JSON.createObjectNode();
        o.put("prefix", prefix);
        o.put("from", from);
        o.put("to", d.rev());
        ArrayNode changes = o.putArray("changes");
        for (Change c : d.items()) {
            ObjectNode one = changes.addObject();
            one.put("path", c.path());
            one.put("change", c.kind().name().toLowerCase(java.util.Locale.ROOT));
            if (c.before() != null) {
                one.set("before", fileJson(c.path(), c.before().value(), c.before().rev()));
            }
            if (c.after() != null) {
                one.set("after", fileJson(c.path(), c.after().value(), c.after().rev()));
            }
        }
        return o;
    }

    /** A unified diff of the two values (git's form, three lines of context), or one line when either is not text. */
    static List<String> unified(Change c, long fromRev, long toRev) {
        String before = c.before() == null ? "" : utf8OrNull(c.before().value());
        String after = c.after() == null ? "" : utf8OrNull(c.after().value());
        if (before == null || after == null) {
            return List.of("Binary values differ (" + size(c.before()) + " -> " + size(c.after()) + ")");
        }
        List<String> a = lines(before);
        List<String> b = lines(after);
        return UnifiedDiffUtils.generateUnifiedDiff(c.path() + "@" + fromRev, c.path() + "@" + toRev, a, DiffUtils.diff(a, b), 3);
    }

    private static String size(Versioned v) {
        return v == null ? "none" : v.value().length + " bytes";
    }

    private static List<String> lines(String text) {
        List<String> out = new ArrayList<>(List.of(text.split("\n", -1)));
        if (text.isEmpty() || text.endsWith("\n")) {
            out.remove(out.size() - 1);
        }
        return out;
    }
}
