package io.cairn.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cairn.client.CairnClient;
import io.cairn.client.Event;
import io.cairn.proto.Msg.Compare;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** What every subcommand shares: the client, the output streams and the JSON shapes. */
abstract class ClientCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    CairnCli root;

    // The global options are accepted after the subcommand too: "cairn get /a --json".
    @Option(names = "--json", description = "Print JSON instead of text (the same as -o json).")
    boolean jsonHere;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "text (default), json, yaml or table.")
    String outputHere;

    private Output.Printer printer;

    @Option(names = "--endpoints", paramLabel = "HOST:PORT,...",
            description = "Members to talk to (default: $CAIRN_ENDPOINTS, else 127.0.0.1:8046).")
    String endpointsHere;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Request timeout, like 500ms or 10s.")
    String timeoutHere;

    CairnClient client() {
        takeOptions();
        return root.client();
    }

    /**
     * The global options given after the subcommand take the place of those before it; a bad -o
     * is bad usage, found before anything is asked.
     */
    void takeOptions() {
        format();
        if (endpointsHere != null) {
            root.endpoints = endpointsHere;
        }
        if (timeoutHere != null) {
            root.timeout = timeoutHere;
        }
    }

    /** A compare that holds while nothing at or under {@code prefix} changed after revision {@code rev}. */
    static Compare unchangedSince(String prefix, long rev) {
        return Compare.newBuilder().setPath(prefix).setTarget(Compare.Target.PREFIX_REV).setOp(Compare.Op.EQUAL).setRev(rev).build();
    }

    /**
     * Runs {@code txn} guarded by {@code guard} (a PREFIX_REV compare). While not every member
     * knows PREFIX_REV (a rolling upgrade from a version before it), the members refuse it
     * unproposed; then {@code txn} runs without it, its per-file compares only, and says so.
     */
    io.cairn.client.TxnResponse txnGuarded(io.cairn.proto.Msg.Txn.Builder txn, Compare guard) {
        try {
            return client().txn(txn.clone().addCompare(guard).build());
        } catch (io.cairn.client.UnavailableException e) {
            if (e.getMessage() == null || !e.getMessage().contains("PREFIX_REV")) {
                throw e;
            }
            root.err.println("cairn: note: not every member knows whole-prefix compares yet (" + e.getMessage()
                    + "); comparing each file only");
            return client().txn(txn.build());
        }
    }

    /** A compare that holds while file {@code path} is at revision {@code rev} (0: missing). */
    static Compare revIs(String path, long rev) {
        return Compare.newBuilder().setPath(path).setTarget(Compare.Target.REV).setOp(Compare.Op.EQUAL).setRev(rev).build();
    }

    /** The output format: -o (after the subcommand or before it), else --json, else text. */
    Output format() {
        String o = outputHere != null ? outputHere : root.output;
        if (o != null) {
            return Output.parse(o);
        }
        return root.json || jsonHere ? Output.JSON : Output.TEXT;
    }

    /** Whether the answer is printed structured (json, yaml or table), built by {@link #printJson}. */
    boolean json() {
        return format() != Output.TEXT;
    }

    void println(String s) {
        root.out.println(s);
    }

    void printBytes(byte[] value, boolean newline) {
        root.out.write(value == null ? new byte[0] : value, 0, value == null ? 0 : value.length);
        if (newline) {
            root.out.write('\n');
        }
        root.out.flush();
    }

    /** Prints a structured answer in the chosen format (JSON, YAML, a table). */
    void printJson(com.fasterxml.jackson.databind.JsonNode node) {
        if (printer == null) {
            printer = new Output.Printer(format() == Output.TEXT ? Output.JSON : format(), root.out);
        }
        printer.print(node);
    }

    static ObjectNode fileJson(String path, byte[] value, long rev) {
        ObjectNode o = JSON.createObjectNode();
        o.put("path", path);
        if (value != null) {
            String text = utf8OrNull(value);
            if (text != null) {
                o.put("value", text);
            } else {
                o.put("value_base64", Base64.getEncoder().encodeToString(value));
            }
        }
        o.put("rev", rev);
        return o;
    }

    static ObjectNode eventJson(Event e) {
        ObjectNode o = fileJson(e.path(), e.value(), e.rev());
        o.put("type", e.deleted() ? "DEL" : "SET");
        if (e.author() != null) {
            o.put("author", e.author());
        }
        if (e.timeMs() != 0) {
            o.put("time", java.time.Instant.ofEpochMilli(e.timeMs()).toString());
        }
        return o;
    }

    /** {@code REV SET|DEL PATH VALUE}: the watch and wait line. */
    static String eventLine(Event e) {
        return e.rev() + " " + (e.deleted() ? "DEL " + e.path() : "SET " + e.path() + " " + oneLine(e.value()));
    }

    /**
     * A value as it goes on one line of {@code walk}, {@code watch}, {@code wait} and {@code txn}
     * output, so that one entry stays one line: a backslash, newline, carriage return and tab are
     * written {@code \\ \n \r \t}; other control characters, and every byte of a value that is
     * not UTF-8, as {@code \xHH}. {@code get} and {@code --json} give the exact value.
     */
    static String oneLine(byte[] value) {
        if (value == null) {
            return "";
        }
        String text = utf8OrNull(value);
        if (text == null) {
            StringBuilder b = new StringBuilder(value.length + 8);
            for (byte x : value) {
                int c = x & 0xff;
                if (c >= 0x20 && c < 0x7f && c != '\\') {
                    b.append((char) c);
                } else {
                    escape(b, c);
                }
            }
            return b.toString();
        }
        return oneLine(text);
    }

    /** A text value on one line, escaped as {@link #oneLine(byte[])} says. */
    static String oneLine(String text) {
        StringBuilder b = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                escape(b, c);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static void escape(StringBuilder b, int c) {
        switch (c) {
            case '\n' -> b.append("\\n");
            case '\r' -> b.append("\\r");
            case '\t' -> b.append("\\t");
            case '\\' -> b.append("\\\\");
            default -> b.append(String.format("\\x%02x", c));
        }
    }

    static String utf8OrNull(byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
