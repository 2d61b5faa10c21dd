package io.cairn.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The README's performance table, made from a run's JSON (never typed by hand): the medians of
 * the rounds and the per-round ratios, median (min-max). It sits between two marker lines in
 * README.md, which {@code cairn-bench --update-readme} rewrites after a full run; a test holds
 * the README to the landed JSON.
 */
final class ReadmeTable {
    static final String BEGIN = "<!-- bench-table: made by cairn-bench --update-readme from bench/results/cairn-bench.json -->";
    static final String END = "<!-- bench-table end -->";
    private static final List<String> SYSTEMS = List.of("cairn", "etcd", "zookeeper");

    private ReadmeTable() {
    }

    static String render(JsonNode run) {
        StringBuilder b = new StringBuilder();
        JsonNode versions = run.path("versions");
        b.append("Made from `bench/results/cairn-bench.json` (").append(run.path("run").path("date").asText().replaceAll("T.*", ""))
                .append(", ").append(run.path("run").path("mode").asText()).append(" run, ")
                .append(run.path("results").isArray() ? roundsOf(run) : "?").append(" rounds a step; etcd ")
                .append(versions.path("etcd").asText("?").replaceAll(".*Version: ", "")).append(", ZooKeeper ")
                .append(versions.path("zookeeper").asText("?").replaceAll("-.*", "")).append("). Figures are medians of the rounds;")
                .append(" a ratio is the median of the per-round ratios, the lowest and highest round in brackets.\n\n");
        b.append("| workload | Cairn | etcd | ZooKeeper | Cairn/etcd | Cairn/ZooKeeper |\n|---|---|---|---|---|---|\n");
        // The same arithmetic as bench/results/cairn-bench.md, on the rounds the JSON keeps.
        List<Measurement> rows = Report.rows(run);
        Report report = new Report(rows, SYSTEMS, java.util.Map.of(), java.util.Map.of());
        java.util.Set<String> labels = new java.util.LinkedHashSet<>();
        rows.forEach(m -> labels.add(m.label()));
        for (String label : labels) {
            String workload = label.substring(0, label.lastIndexOf(" x"));
            String clients = label.substring(label.lastIndexOf(" x") + 2);
            boolean latencyOnly = workload.equals("watch-fanout") || workload.equals("failover");
            b.append("| ").append(describe(workload, clients)).append(" |");
            for (String s : SYSTEMS) {
                double ops = report.value(label, s, Measurement::opsPerSec);
                double p50 = report.value(label, s, Measurement::p50Ms);
                double p99 = report.value(label, s, Measurement::p99Ms);
                double max = report.value(label, s, Measurement::maxMs);
                String cell;
                if (Double.isNaN(p99)) {
                    cell = "–";
                } else if (workload.equals("failover")) {
                    cell = num(p50) + " / " + num(max);
                } else if (latencyOnly) {
                    cell = num(p99);
                } else if (workload.equals("write")) {
                    cell = num(ops) + "; " + num(p99);
                } else {
                    cell = num(ops);
                }
                b.append(' ').append(cell).append(" |");
            }
            for (String o : List.of("etcd", "zookeeper")) {
                Report.Spread r = latencyOnly ? report.perRound(label, List.of(o), Measurement::p99Ms, false)
                        : report.perRound(label, List.of(o), Measurement::opsPerSec, true);
                b.append(' ').append(r.ratio()).append(" |");
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static int roundsOf(JsonNode run) {
        int max = 1;
        for (JsonNode r : run.path("results")) {
            max = Math.max(max, r.path("round").asInt(1));
        }
        return max;
    }

    private static String describe(String workload, String clients) {
        String n = clients.equals("1") ? "1 client" : clients + " clients";
        return switch (workload) {
            case "write" -> "writes, " + n + " (ops/s; p99 ms)";
            case "read-linearizable" -> "linearizable reads, " + n + " (ops/s)";
            case "read-serializable" -> "serializable reads, " + n + " (ops/s)";
            case "watch-fanout" -> "watch delivery, " + String.format(Locale.ROOT, "%,d", Integer.parseInt(clients)) + " watchers (p99 ms)";
            case "ephemeral-churn" -> "ephemeral churn, " + n + " (cycles/s)";
            case "failover" -> "leader failover (p50 / worst trial, ms)";
            default -> workload + " x" + clients;
        };
    }

    private static String num(double d) {
        if (Double.isNaN(d)) {
            return "–";
        }
        return d >= 100 ? String.format(Locale.ROOT, "%,.0f", d) : String.format(Locale.ROOT, "%.1f", d);
    }

    /** README.md with the text between the markers replaced by the table made from {@code json}. */
    static String updated(String readme, JsonNode json) {
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("README.md has no bench-table markers (" + BEGIN + " ... " + END + ")");
        }
        return readme.substring(0, begin + BEGIN.length()) + "\n" + render(json) + readme.substring(end);
    }

    /** The table as README.md has it now, between the markers. */
    static String current(String readme) {
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("README.md has no bench-table markers");
        }
        return readme.substring(begin + BEGIN.length() + 1, end);
    }

    static void update(Path readme, Path json) throws IOException {
        JsonNode run = new ObjectMapper().readTree(json.toFile());
        Files.writeString(readme, updated(Files.readString(readme, StandardCharsets.UTF_8), run), StandardCharsets.UTF_8);
    }
}
