package io.cairn.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Is the etcd figure held back by its Java client? The same three etcd members written to by the
 * harness (jetcd, 64 workers over 8 connections) and by etcd's own Go benchmark tool
 * ({@code tools/benchmark put}, 64 clients over 8 connections, 256-byte values), in alternating
 * rounds; built from the Go module proxy by {@code bench/etcd-benchmark.sh}.
 */
final class EtcdCrossCheck {
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");

    private EtcdCrossCheck() {
    }

    static Map<String, Object> run(EtcdServers g, Settings settings, Path tool, int rounds) throws Exception {
        StringJoiner endpoints = new StringJoiner(",");
        g.members.forEach(m -> endpoints.add("http://127.0.0.1:" + m.clientPort));
        Workloads w = new Workloads(g, settings);
        w.writes(64); // warm-up, unrecorded
        List<Double> harness = new ArrayList<>();
        List<Double> goTool = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            Measurement m = w.writes(64);
            harness.add(m.opsPerSec());
            long total = Math.max(1000, Math.round(m.opsPerSec() * settings.measure().toSeconds()));
            goTool.add(goTool(tool, endpoints.toString(), total, settings.valueBytes()));
            System.out.printf(Locale.ROOT, "etcd write x64, round %d: harness (jetcd) %.0f/s, etcd's benchmark tool %.0f/s%n", r + 1,
                    harness.get(r), goTool.get(r));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("harnessOpsPerSec", harness);
        out.put("etcdToolOpsPerSec", goTool);
        Report.Spread ratio = Report.Spread.of(java.util.stream.IntStream.range(0, rounds).mapToObj(i -> harness.get(i) / goTool.get(i)).toList());
        out.put("harnessOverTool", ratio.json());
        return out;
    }

    private static double goTool(Path tool, String endpoints, long total, int valueBytes) throws Exception {
        List<String> cmd = List.of(tool.toString(), "--endpoints=" + endpoints, "--conns=8", "--clients=64", "put",
                "--key-size=16", "--val-size=" + valueBytes, "--total=" + total, "--key-space-size=64", "--sequential-keys");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder text = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                text.append(line).append('\n');
            }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("etcd's benchmark tool did not finish");
        }
        Matcher m = RATE.matcher(text);
        if (p.exitValue() != 0 || !m.find()) {
            throw new IllegalStateException("etcd's benchmark tool failed (exit " + p.exitValue() + "): " + text);
        }
        return Double.parseDouble(m.group(1));
    }

    static String markdown(Map<String, Object> r) {
        @SuppressWarnings("unchecked")
        List<Double> h = (List<Double>) r.get("harnessOpsPerSec");
        @SuppressWarnings("unchecked")
        List<Double> t = (List<Double>) r.get("etcdToolOpsPerSec");
        StringBuilder b = new StringBuilder("| round | harness (jetcd), writes/s | etcd's benchmark tool, writes/s | harness / tool |\n|---|---|---|---|\n");
        for (int i = 0; i < h.size(); i++) {
            b.append(String.format(Locale.ROOT, "| %d | %,.0f | %,.0f | %.2f |%n", i + 1, h.get(i), t.get(i), h.get(i) / t.get(i)));
        }
        return b.toString();
    }
}
