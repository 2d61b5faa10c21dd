package io.cairn.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * Writes one run's figures three ways: Markdown tables, the same as JSON (every round's figures,
 * the ratios and the goals), and PNG bar charts (throughput and p99 latency). A system's figure
 * for a step is the median of its rounds; a ratio is computed round by round (Cairn's figure over
 * the other's in the same round) and given as the median with its minimum and maximum, and a
 * goal is met only when its worst round meets it.
 */
final class Report {
    private final List<Measurement> rows;
    private final List<String> systems;
    private final Map<String, String> versions;
    private final Map<String, Object> run;

    Report(List<Measurement> rows, List<String> systems, Map<String, String> versions, Map<String, Object> run) {
        this.rows = rows;
        this.systems = systems;
        this.versions = versions;
        this.run = run;
    }

    private List<String> labels(boolean throughputOnly) {
        Set<String> labels = new LinkedHashSet<>();
        for (Measurement m : rows) {
            if (!throughputOnly || !Double.isNaN(m.opsPerSec())) {
                labels.add(m.label());
            }
        }
        return new ArrayList<>(labels);
    }

    private List<Measurement> find(String label, String system) {
        return rows.stream().filter(m -> m.label().equals(label) && m.system().equals(system)).toList();
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    /** Median, minimum and maximum of some figures (NaN when there are none). */
    record Spread(double median, double min, double max, int n) {
        static Spread of(List<Double> values) {
            List<Double> v = values.stream().filter(Double::isFinite).sorted().toList();
            if (v.isEmpty()) {
                return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
            }
            int k = v.size();
            double median = k % 2 == 1 ? v.get(k / 2) : (v.get(k / 2 - 1) + v.get(k / 2)) / 2;
            return new Spread(median, v.get(0), v.get(k - 1), k);
        }

        String ratio() {
            if (Double.isNaN(median)) {
                return "–";
            }
            return n == 1 ? String.format(Locale.ROOT, "%.2f×", median)
                    : String.format(Locale.ROOT, "%.2f× (%.2f–%.2f)", median, min, max);
        }

        Map<String, Object> json() {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("median", finite(median));
            o.put("min", finite(min));
            o.put("max", finite(max));
            o.put("rounds", n);
            return o;
        }
    }

    /** A system's figure for a step: the median over its rounds. */
    double value(String label, String system, ToDoubleFunction<Measurement> f) {
        return Spread.of(find(label, system).stream().map(f::applyAsDouble).toList()).median();
    }

    /**
     * Cairn's figure over {@code combine} of the others' in the same round, for each round both
     * have; {@code combine} picks the better of several others (max for throughput, min for latency).
     */
    Spread perRound(String label, List<String> others, ToDoubleFunction<Measurement> f, boolean higherIsBetter) {
        List<Double> ratios = new ArrayList<>();
        for (Measurement c : find(label, "cairn")) {
            double best = Double.NaN;
            for (String o : others) {
                for (Measurement m : find(label, o)) {
                    if (m.round() == c.round()) {
                        double v = f.applyAsDouble(m);
                        if (Double.isFinite(v) && (Double.isNaN(best) || (higherIsBetter ? v > best : v < best))) {
                            best = v;
                        }
                    }
                }
            }
            double mine = f.applyAsDouble(c);
            if (Double.isFinite(best) && best != 0 && Double.isFinite(mine)) {
                ratios.add(mine / best);
            }
        }
        return Spread.of(ratios);
    }

    /** One of the project's performance goals, checked on this run's rounds. */
    record Goal(String what, String label, String measure, String target, Spread ratio, boolean met) {
        Map<String, Object> json() {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("goal", what);
            o.put("step", label);
            o.put("measure", measure);
            o.put("target", target);
            o.put("ratio", ratio.json());
            o.put("met", met);
            return o;
        }
    }

    /**
     * The goals: writes at least 1.5x the better of the others' throughput with a p99 no higher
     * than the lower of theirs; linearizable reads at least 2x; watch delivery p99 no higher;
     * ephemeral churn and failover ahead. Met only when the worst round meets it.
     */
    List<Goal> goals() {
        List<Goal> out = new ArrayList<>();
        List<String> others = systems.stream().filter(s -> !s.startsWith("cairn")).toList();
        if (!systems.contains("cairn") || others.isEmpty()) {
            return out;
        }
        String vs = String.join(" and ", others);
        for (String label : labels(false)) {
            String workload = find(label, "cairn").stream().findFirst().map(Measurement::workload).orElse("");
            switch (workload) {
                case "write" -> {
                    Spread t = perRound(label, others, Measurement::opsPerSec, true);
                    out.add(new Goal("writes at least 1.5x the better of " + vs, label, "throughput", ">= 1.5", t, t.n() > 0 && t.min() >= 1.5));
                    Spread p = perRound(label, others, Measurement::p99Ms, false);
                    out.add(new Goal("write p99 no higher than the lower of " + vs, label, "p99", "<= 1", p, p.n() > 0 && p.max() <= 1));
                }
                case "read-linearizable" -> {
                    Spread t = perRound(label, others, Measurement::opsPerSec, true);
                    out.add(new Goal("linearizable reads at least 2x the better of " + vs, label, "throughput", ">= 2", t,
                            t.n() > 0 && t.min() >= 2));
                }
                case "watch-fanout" -> {
                    Spread p = perRound(label, others, Measurement::p99Ms, false);
                    out.add(new Goal("watch delivery p99 no higher than the lower of " + vs, label, "p99", "<= 1", p, p.n() > 0 && p.max() <= 1));
                }
                case "ephemeral-churn" -> {
                    Spread t = perRound(label, others, Measurement::opsPerSec, true);
                    out.add(new Goal("ephemeral churn ahead of " + vs, label, "throughput", "> 1", t, t.n() > 0 && t.min() > 1));
                }
                case "failover" -> {
                    Spread p = perRound(label, others, Measurement::maxMs, false);
                    out.add(new Goal("failover's worst trial ahead of the better of " + vs, label, "max", "< 1", p, p.n() > 0 && p.max() < 1));
                }
                default -> { }
            }
        }
        return out;
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Cairn, etcd and ZooKeeper, side by side\n\n");
        run.forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
        versions.forEach((k, v) -> b.append("- ").append(k).append(" version: ").append(v).append('\n'));
        List<String> others = systems.stream().filter(s -> !s.equals("cairn")).toList();
        boolean withCairn = systems.contains("cairn");

        b.append("\n## Throughput (operations per second, median of the rounds; higher is better)\n\n")
                .append("Ratios: the median of the per-round ratios, with the lowest and highest round in brackets.\n\n| workload |");
        systems.forEach(s -> b.append(' ').append(s).append(" |"));
        if (withCairn) {
            others.forEach(o -> b.append(" cairn/").append(o).append(" |"));
        }
        b.append('\n').append("|---".repeat(1 + systems.size() + (withCairn ? others.size() : 0))).append("|\n");
        for (String label : labels(true)) {
            b.append("| ").append(label).append(" |");
            systems.forEach(s -> b.append(' ').append(num(value(label, s, Measurement::opsPerSec))).append(" |"));
            if (withCairn) {
                others.forEach(o -> b.append(' ').append(perRound(label, List.of(o), Measurement::opsPerSec, true).ratio()).append(" |"));
            }
            b.append('\n');
        }

        b.append("\n## Latency p50 / p99 in ms (median of the rounds; lower is better; a ratio below 1× means Cairn is faster)\n\n| workload |");
        systems.forEach(s -> b.append(' ').append(s).append(" p50 | ").append(s).append(" p99 |"));
        if (withCairn) {
            others.forEach(o -> b.append(" p99 cairn/").append(o).append(" |"));
        }
        b.append('\n').append("|---".repeat(1 + 2 * systems.size() + (withCairn ? others.size() : 0))).append("|\n");
        for (String label : labels(false)) {
            b.append("| ").append(label).append(" |");
            systems.forEach(s -> b.append(' ').append(num(value(label, s, Measurement::p50Ms))).append(" | ")
                    .append(num(value(label, s, Measurement::p99Ms))).append(" |"));
            if (withCairn) {
                others.forEach(o -> b.append(' ').append(perRound(label, List.of(o), Measurement::p99Ms, false).ratio()).append(" |"));
            }
            b.append('\n');
        }

        List<Goal> goals = goals();
        if (!goals.isEmpty()) {
            b.append("\n## Goals (met only if the worst round meets them)\n\n| goal | step | target | ratio, median (min–max) | met |\n|---|---|---|---|---|\n");
            for (Goal g : goals) {
                b.append("| ").append(g.what()).append(" | ").append(g.label()).append(" | ").append(g.measure()).append(' ')
                        .append(g.target()).append(" | ").append(g.ratio().ratio()).append(" | ").append(g.met() ? "yes" : "**no**").append(" |\n");
            }
        }

        watchBreakdown(b);
        machineTurns(b);

        List<Measurement> withErrors = rows.stream().filter(m -> m.errors() > 0).toList();
        b.append("\n## Errors\n\n");
        if (withErrors.isEmpty()) {
            b.append("None: every operation in every measuring window succeeded.\n");
        } else {
            for (Measurement m : withErrors) {
                b.append("- ").append(m.system()).append(' ').append(m.label()).append(" round ").append(m.round()).append(": ").append(m.errors())
                        .append(m.workload().equals("watch-fanout") ? " deliveries missing\n"
                                : m.workload().equals("failover") ? " trials without a commit within 60 s\n"
                                : " failed operations\n");
            }
        }
        return b.toString();
    }

    /**
     * The watch step's rounds with where their time went: the write's own answer, the first
     * watcher told on a connection, and the spread from first to last on one connection.
     */
    private void watchBreakdown(StringBuilder b) {
        List<Measurement> watch = rows.stream().filter(m -> m.workload().equals("watch-fanout")
                && m.parts().containsKey("writeAnsweredP50Ms")).toList();
        if (watch.isEmpty()) {
            return;
        }
        b.append("\n## Watch delivery, broken down (ms, per round)\n\n")
                .append("From sending a write: its writer having the answer; on each connection, its first watcher told;")
                .append(" and on one connection, from its first watcher told to its last (the client handing the event to its")
                .append(" watchers). Over the writes measured; each write's slowest watcher decides the step's p99.\n\n")
                .append("| system | round | delivery p99 | write answered p50 / max | first told on a connection p50 / max |")
                .append(" spread on a connection p50 / max |\n|---|---|---|---|---|---|\n");
        for (String sys : systems) {
            for (Measurement m : watch.stream().filter(m -> m.system().equals(sys)).sorted(Comparator.comparingInt(Measurement::round)).toList()) {
                Map<String, Double> p = m.parts();
                b.append("| ").append(sys).append(" | ").append(m.round()).append(" | ").append(num(m.p99Ms())).append(" | ")
                        .append(pair(p, "writeAnswered")).append(" | ").append(pair(p, "firstTold")).append(" | ")
                        .append(pair(p, "spread")).append(" |\n");
            }
        }
    }

    /**
     * Each turn with what the machine did during it, to tell a system's bad round from a bad
     * moment of the machine's: a round that stands out beside much stolen CPU, or beside idle
     * systems that were not idle, says more about the machine than about the system.
     */
    private void machineTurns(StringBuilder b) {
        List<Measurement> turns = rows.stream().filter(m -> m.parts().containsKey(MachineMeter.BUSY_CORES)).toList();
        if (turns.isEmpty()) {
            return;
        }
        b.append("\n## The machine during each turn\n\n")
                .append("Each turn starts once the machine is quiet (under 0.3 cores busy for 300 ms running, waited for at most 3 s).")
                .append(" Over the turn, its warm-up included: the cores busy on the whole machine, the share of CPU time the")
                .append(" hypervisor stole, the cores the members of the two systems not under load used, and the cores the JIT")
                .append(" compilers of the members under load and of the harness (the client libraries) used: a JVM still")
                .append(" compiling its hot code.\n\n")
                .append("| step | round | system | ops/s | p99 ms | waited for quiet, s | machine busy, cores | stolen, % |")
                .append(" idle systems, cores | members' compilers, cores | harness's compilers, cores |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (String label : labels(false)) {
            turns.stream().filter(m -> m.label().equals(label))
                    .sorted(Comparator.comparingInt(Measurement::round).thenComparing(m -> systems.indexOf(m.system())))
                    .forEach(m -> {
                        Map<String, Double> p = m.parts();
                        b.append("| ").append(label).append(" | ").append(m.round()).append(" | ").append(m.system()).append(" | ")
                                .append(Double.isNaN(m.opsPerSec()) ? "–" : String.format(Locale.ROOT, "%.0f", m.opsPerSec()))
                                .append(" | ").append(num(m.p99Ms())).append(" | ")
                                .append(String.format(Locale.ROOT, "%.1f", p.get(MachineMeter.QUIET_WAIT) / 1000)).append(" | ")
                                .append(String.format(Locale.ROOT, "%.2f", p.get(MachineMeter.BUSY_CORES))).append(" | ")
                                .append(String.format(Locale.ROOT, "%.1f", p.get(MachineMeter.STEAL_PCT))).append(" | ")
                                .append(String.format(Locale.ROOT, "%.2f", p.get(MachineMeter.IDLE_SYSTEMS_CORES))).append(" | ")
                                .append(cores(p, MachineMeter.COMPILER_CORES)).append(" | ")
                                .append(cores(p, MachineMeter.HARNESS_COMPILER_CORES)).append(" |\n");
                    });
        }
    }

    /** A run landed before a figure was kept has none: a dash. */
    private static String cores(Map<String, Double> parts, String name) {
        return parts.containsKey(name) ? String.format(Locale.ROOT, "%.3f", parts.get(name)) : "–";
    }

    private static String pair(Map<String, Double> parts, String name) {
        return num(parts.getOrDefault(name + "P50Ms", Double.NaN)) + " / " + num(parts.getOrDefault(name + "MaxMs", Double.NaN));
    }

    /** The rows a run's JSON holds (its "results"), to make tables from a landed run. */
    static List<Measurement> rows(com.fasterxml.jackson.databind.JsonNode run) {
        List<Measurement> out = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode r : run.path("results")) {
            out.add(new Measurement(r.path("workload").asText(), r.path("clients").asInt(), r.path("system").asText(), r.path("round").asInt(1),
                    number(r.path("opsPerSec")), number(r.path("p50Ms")), number(r.path("p99Ms")), number(r.path("maxMs")),
                    r.path("count").asLong(), r.path("errors").asLong(), parts(r.path("parts"))));
        }
        return out;
    }

    private static Map<String, Double> parts(com.fasterxml.jackson.databind.JsonNode n) {
        Map<String, Double> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(f -> out.put(f.getKey(), number(f.getValue())));
        return out;
    }

    private static double number(com.fasterxml.jackson.databind.JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    Map<String, Object> json() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("run", run);
        out.put("versions", versions);
        List<Map<String, Object>> results = new ArrayList<>();
        for (Measurement m : rows) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("system", m.system());
            r.put("workload", m.workload());
            r.put("clients", m.clients());
            r.put("round", m.round());
            r.put("opsPerSec", finite(m.opsPerSec()));
            r.put("p50Ms", finite(m.p50Ms()));
            r.put("p99Ms", finite(m.p99Ms()));
            r.put("maxMs", finite(m.maxMs()));
            r.put("count", m.count());
            r.put("errors", m.errors());
            if (!m.parts().isEmpty()) {
                Map<String, Object> parts = new LinkedHashMap<>();
                m.parts().forEach((k, v) -> parts.put(k, finite(Math.round(v * 1000) / 1000.0)));
                r.put("parts", parts);
            }
            results.add(r);
        }
        out.put("results", results);
        Map<String, Object> medians = new LinkedHashMap<>();
        for (String label : labels(false)) {
            Map<String, Object> bySystem = new LinkedHashMap<>();
            for (String sys : systems) {
                if (find(label, sys).isEmpty()) {
                    continue;
                }
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("opsPerSec", finite(value(label, sys, Measurement::opsPerSec)));
                x.put("p50Ms", finite(value(label, sys, Measurement::p50Ms)));
                x.put("p99Ms", finite(value(label, sys, Measurement::p99Ms)));
                x.put("maxMs", finite(value(label, sys, Measurement::maxMs)));
                bySystem.put(sys, x);
            }
            medians.put(label, bySystem);
        }
        out.put("medians", medians);
        Map<String, Object> ratios = new LinkedHashMap<>();
        if (systems.contains("cairn")) {
            for (String label : labels(false)) {
                Map<String, Object> byOther = new LinkedHashMap<>();
                for (String o : systems) {
                    if (!o.equals("cairn")) {
                        Map<String, Object> x = new LinkedHashMap<>();
                        x.put("throughput", perRound(label, List.of(o), Measurement::opsPerSec, true).json());
                        x.put("p99", perRound(label, List.of(o), Measurement::p99Ms, false).json());
                        byOther.put("cairn/" + o, x);
                    }
                }
                ratios.put(label, byOther);
            }
        }
        out.put("ratios", ratios);
        out.put("goals", goals().stream().map(Goal::json).toList());
        return out;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : null;
    }

    private CategoryChart chart(String title, String yTitle, List<String> labels,
                                ToDoubleFunction<Measurement> f) {
        CategoryChart chart = new CategoryChartBuilder().width(1200).height(600).title(title)
                .xAxisTitle("workload x concurrency").yAxisTitle(yTitle).build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisLabelRotation(20);
        double smallest = rows.stream().mapToDouble(f).filter(v -> Double.isFinite(v) && v > 0).min().orElse(1);
        // Bars start at the axis floor, which a log axis must have above zero; a missing figure
        // is drawn at the floor, so it shows as no bar.
        double floor = Math.pow(10, Math.floor(Math.log10(smallest)));
        chart.getStyler().setYAxisMin(floor);
        for (String s : systems) {
            List<Double> ys = new ArrayList<>();
            for (String label : labels) {
                double v = value(label, s, f);
                ys.add(Double.isFinite(v) && v > 0 ? v : floor);
            }
            chart.addSeries(s, labels, ys);
        }
        return chart;
    }

    /** Results as indented JSON: every file the benchmark writes is written so. */
    static void writeJson(Path file, Object value) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), value);
    }

    void write(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name + ".md"), markdown());
        writeJson(dir.resolve(name + ".json"), json());
        List<String> throughput = labels(true);
        if (!throughput.isEmpty()) {
            BitmapEncoder.saveBitmap(chart("Throughput (higher is better)", "ops/s (log)", throughput, Measurement::opsPerSec),
                    dir.resolve(name + "-throughput").toString(), BitmapEncoder.BitmapFormat.PNG);
        }
        BitmapEncoder.saveBitmap(chart("p99 latency (lower is better)", "ms (log)", labels(false), Measurement::p99Ms),
                dir.resolve(name + "-p99").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
