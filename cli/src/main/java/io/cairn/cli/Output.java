package io.cairn.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How a command's answer is printed with {@code -o}: every command builds its answer as JSON
 * (what {@code --json} prints), and the other structured formats are made from that, so each
 * command has every format. {@code text} is each command's own plain form.
 */
enum Output {
    TEXT, JSON, YAML, TABLE;

    private static final ObjectMapper YAML_MAPPER = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    static Output parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CairnCli.UsageException("-o must be text, json, yaml or table, got \"" + s + "\"");
        }
    }

    /** Prints answers of one command in this format; a stream of them (watch) shares one table header. */
    static final class Printer {
        private final Output format;
        private final java.io.PrintStream out;
        private List<String> header;
        private int[] widths;
        private int documents;

        Printer(Output format, java.io.PrintStream out) {
            this.format = format;
            this.out = out;
        }

        void print(JsonNode node) {
            switch (format) {
                case YAML -> {
                    // Several answers (a watch) are several documents.
                    if (documents++ > 0) {
                        out.println("---");
                    }
                    try {
                        out.print(YAML_MAPPER.writeValueAsString(node));
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException(e);
                    }
                }
                case TABLE -> table(node);
                default -> out.println(node.toString());
            }
        }

        /**
         * A table: an array of objects is one row each; an object holding one array is that
         * array's rows (a listing); any other object is one row. Columns are the fields in order,
         * named in upper case; a nested value is printed as compact JSON.
         */
        private void table(JsonNode node) {
            List<JsonNode> rows = rows(node);
            Set<String> columns = new LinkedHashSet<>();
            for (JsonNode r : rows) {
                r.fieldNames().forEachRemaining(columns::add);
            }
            List<String> cols = new ArrayList<>(columns);
            boolean newHeader = !cols.equals(header);
            if (newHeader) {
                header = cols;
                widths = new int[cols.size()];
                for (int i = 0; i < cols.size(); i++) {
                    widths[i] = cols.get(i).length();
                }
                for (JsonNode r : rows) {
                    for (int i = 0; i < cols.size(); i++) {
                        widths[i] = Math.max(widths[i], cell(r.get(cols.get(i))).length());
                    }
                }
                List<String> names = new ArrayList<>();
                cols.forEach(c -> names.add(c.toUpperCase(Locale.ROOT)));
                line(names);
            }
            for (JsonNode r : rows) {
                List<String> cells = new ArrayList<>();
                cols.forEach(c -> cells.add(cell(r.get(c))));
                line(cells);
            }
        }

        private void line(List<String> cells) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < cells.size(); i++) {
                String c = cells.get(i);
                b.append(c);
                if (i < cells.size() - 1) {
                    b.append(" ".repeat(Math.max(1, widths[i] - c.length() + 2)));
                }
            }
            out.println(b.toString().stripTrailing());
        }

        private static List<JsonNode> rows(JsonNode node) {
            List<JsonNode> rows = new ArrayList<>();
            if (node.isArray()) {
                node.forEach(n -> rows.add(asRow(n)));
                return rows;
            }
            if (node.isObject()) {
                Map.Entry<String, JsonNode> list = null;
                int arrays = 0;
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    if (f.getValue().isArray()) {
                        arrays++;
                        list = f;
                    }
                }
                if (arrays == 1) {
                    String column = singular(list.getKey());
                    list.getValue().forEach(n -> rows.add(n.isObject() ? n : ClientCommand.JSON.createObjectNode().set(column, n)));
                    return rows;
                }
            }
            rows.add(asRow(node));
            return rows;
        }

        private static String singular(String name) {
            return name.endsWith("s") ? name.substring(0, name.length() - 1) : name;
        }

        private static JsonNode asRow(JsonNode n) {
            return n.isObject() ? n : ClientCommand.JSON.createObjectNode().set("value", n);
        }

        private static String cell(JsonNode v) {
            if (v == null || v.isNull()) {
                return "";
            }
            if (v.isValueNode()) {
                return ClientCommand.oneLine(v.asText());
            }
            return v.toString();
        }
    }
}
