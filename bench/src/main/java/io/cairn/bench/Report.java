package io.cairn.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * Writes one run's figures three ways: a Markdown table with Cairn/etcd and Cairn/ZooKeeper
 * ratios, the same as JSON, and PNG bar charts (throughput and p99 latency).
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

    private Optional<Measurement> find(String label, String system) {
        return rows.stream().filter(m -> m.label().equals(label) && m.system().equals(system)).findFirst();
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "–" : String.format(Locale.ROOT, "%.2f×", a / b);
    }

    private double value(String label, String system, java.util.function.ToDoubleFunction<Measurement> f) {
        return find(label, system).map(f::applyAsDouble).orElse(Double.NaN);
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Cairn, etcd and ZooKeeper, side by side\n\n");
        run.forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
        versions.forEach((k, v) -> b.append("- ").append(k).append(" version: ").append(v).append('\n'));
        List<String> others = systems.stream().filter(s -> !s.equals("cairn")).toList();
        boolean withCairn = systems.contains("cairn");

        b.append("\n## Throughput (operations per second; higher is better)\n\n| workload |");
        systems.forEach(s -> b.append(' ').append(s).append(" |"));
        if (withCairn) {
            others.forEach(o -> b.append(" cairn/").append(o).append(" |"));
        }
        b.append('\n').append("|---".repeat(1 + systems.size() + (withCairn ? others.size() : 0))).append("|\n");
        for (String label : labels(true)) {
            b.append("| ").append(label).append(" |");
            systems.forEach(s -> b.append(' ').append(num(value(label, s, Measurement::opsPerSec))).append(" |"));
            if (withCairn) {
                double c = value(label, "cairn", Measurement::opsPerSec);
                others.forEach(o -> b.append(' ').append(ratio(c, value(label, o, Measurement::opsPerSec))).append(" |"));
            }
            b.append('\n');
        }

        b.append("\n## Latency p50 / p99 in ms (lower is better; a ratio below 1× means Cairn is faster)\n\n| workload |");
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
                double c = value(label, "cairn", Measurement::p99Ms);
                others.forEach(o -> b.append(' ').append(ratio(c, value(label, o, Measurement::p99Ms))).append(" |"));
            }
            b.append('\n');
        }

        List<Measurement> withErrors = rows.stream().filter(m -> m.errors() > 0).toList();
        b.append("\n## Errors\n\n");
        if (withErrors.isEmpty()) {
            b.append("None: every operation in every measuring window succeeded.\n");
        } else {
            for (Measurement m : withErrors) {
                b.append("- ").append(m.system()).append(' ').append(m.label()).append(": ").append(m.errors())
                        .append(m.workload().equals("watch-fanout") ? " deliveries missing\n"
                                : m.workload().equals("failover") ? " trials without a commit within 60 s\n"
                                : " failed operations\n");
            }
        }
        return b.toString();
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
            r.put("opsPerSec", finite(m.opsPerSec()));
            r.put("p50Ms", finite(m.p50Ms()));
            r.put("p99Ms", finite(m.p99Ms()));
            r.put("maxMs", finite(m.maxMs()));
            r.put("count", m.count());
            r.put("errors", m.errors());
            results.add(r);
        }
        out.put("results", results);
        Map<String, Object> ratios = new LinkedHashMap<>();
        if (systems.contains("cairn")) {
            for (String label : labels(false)) {
                Map<String, Object> byOther = new LinkedHashMap<>();
                for (String o : systems) {
                    if (!o.equals("cairn")) {
                        Map<String, Object> x = new LinkedHashMap<>();
                        x.put("throughput", finite(value(label, "cairn", Measurement::opsPerSec)
                                / value(label, o, Measurement::opsPerSec)));
                        x.put("p99", finite(value(label, "cairn", Measurement::p99Ms) / value(label, o, Measurement::p99Ms)));
                        byOther.put("cairn/" + o, x);
                    }
                }
                ratios.put(label, byOther);
            }
        }
        out.put("ratios", ratios);
        return out;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : null;
    }

    private CategoryChart chart(String title, String yTitle, List<String> labels,
                                java.util.function.ToDoubleFunction<Measurement> f) {
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

    void write(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name + ".md"), markdown());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(name + ".json").toFile(), json());
        List<String> throughput = labels(true);
        if (!throughput.isEmpty()) {
            BitmapEncoder.saveBitmap(chart("Throughput (higher is better)", "ops/s (log)", throughput, Measurement::opsPerSec),
                    dir.resolve(name + "-throughput").toString(), BitmapEncoder.BitmapFormat.PNG);
        }
        BitmapEncoder.saveBitmap(chart("p99 latency (lower is better)", "ms (log)", labels(false), Measurement::p99Ms),
                dir.resolve(name + "-p99").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
