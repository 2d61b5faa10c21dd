package io.cairn.sidecar;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Fuzz target: how the sidecar turns a revision's keys into files ({@link Renderer}: a file per
 * key, a template, the env file in both dialects).
 *
 * <p>Checked: rendering never throws; every output path stays inside the output directory and
 * no output is both a file and a directory of another; every key is published with its exact
 * bytes or named in a problem (never dropped in silence); and the env files read back, with the
 * shell's quoting rules and Docker's line rules, give exactly the keys' values under their
 * variable names.
 */
public class KeyToFileFuzzTest {
    private static final char[] KEY_CHARS = {'a', 'b', '/', '.', '-', '_', 'Z', '0', ' ', 'é'};
    private static final Path BASE = Path.of("/out/dir");

    @FuzzTest
    void keys(FuzzedDataProvider data) {
        fuzzerTestOneInput(data);
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        SortedMap<String, byte[]> files = new TreeMap<>();
        int n = data.consumeInt(0, 8);
        for (int i = 0; i < n; i++) {
            String key;
            if (data.consumeBoolean()) {
                StringBuilder b = new StringBuilder();
                int len = data.consumeInt(1, 12);
                for (int c = 0; c < len; c++) {
                    b.append(data.pickValue(KEY_CHARS));
                }
                key = b.toString();
            } else {
                key = data.consumeString(12);
            }
            files.put(key, data.consumeBytes(data.consumeInt(0, 40)));
        }
        Renderer r;
        try {
            r = new Renderer(true, List.of(new Renderer.Template("t", "{{ config[\"a\"] | default(\"none\") }} at {{ rev }}", "app.conf")),
                    "app.env", Map.of("name", "pod-0"));
        } catch (RenderException e) {
            throw new AssertionError("the fixed template does not compile", e);
        }
        Renderer.Rendered out = r.render(new ConfigView(data.consumeLong(), files));
        for (String p : out.files().keySet()) {
            if (!BASE.resolve(p).normalize().startsWith(BASE) || p.startsWith("/") || p.isEmpty()) {
                throw new AssertionError("output " + p + " lands outside the output directory");
            }
            String above = new TreeMap<>(out.files()).ceilingKey(p + "/");
            if (above != null && above.startsWith(p + "/")) {
                throw new AssertionError("output " + p + " is a file and the directory of " + above);
            }
        }
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            byte[] published = out.files().get(e.getKey());
            boolean named = out.problems().stream().anyMatch(x -> x.contains("config key " + Renderer.quoted(e.getKey()) + " ") || x.contains("config key " + Renderer.quoted(e.getKey()) + ":"));
            boolean output = e.getKey().equals("app.conf") || e.getKey().equals("app.env") || e.getKey().equals("app.env.docker");
            if (published == null && !named) {
                throw new AssertionError("key " + e.getKey() + " was neither published nor named in a problem: " + out.problems());
            }
            if (published != null && !output && !Arrays.equals(published, e.getValue())) {
                throw new AssertionError("key " + e.getKey() + " was published with other bytes");
            }
        }
        byte[] shell = out.files().get("app.env");
        if (shell != null && !out.failedOutputs().contains("app.env")) {
            SortedMap<String, String> want = new TreeMap<>();
            files.forEach((k, v) -> want.put(EnvFiles.name(k), new String(v, StandardCharsets.UTF_8)));
            SortedMap<String, String> read = readShell(new String(shell, StandardCharsets.UTF_8));
            if (!read.equals(want)) {
                throw new AssertionError("the shell env file reads back as " + read + ", not " + want);
            }
            SortedMap<String, String> single = new TreeMap<>();
            want.forEach((k, v) -> {
                if (v.indexOf('\n') < 0 && v.indexOf('\r') < 0) {
                    single.put(k, v);
                }
            });
            SortedMap<String, String> docker = readDocker(new String(out.files().get("app.env.docker"), StandardCharsets.UTF_8));
            if (!docker.equals(single)) {
                throw new AssertionError("the Docker env file reads back as " + docker + ", not " + single);
            }
        }
    }

    /** NAME='value' lines, as a POSIX shell reads single quotes: '\'' is a quote. */
    private static SortedMap<String, String> readShell(String text) {
        SortedMap<String, String> out = new TreeMap<>();
        int i = 0;
        while (i < text.length()) {
            if (text.charAt(i) == '#') {
                i = text.indexOf('\n', i) + 1;
                continue;
            }
            int eq = text.indexOf("='", i);
            String name = text.substring(i, eq);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new AssertionError("not a shell variable name: " + name);
            }
            StringBuilder v = new StringBuilder();
            int j = eq + 2;
            while (true) {
                int q = text.indexOf('\'', j);
                v.append(text, j, q);
                if (text.startsWith("'\\''", q)) {
                    v.append('\'');
                    j = q + 4;
                } else {
                    j = q + 1;
                    break;
                }
            }
            if (text.charAt(j) != '\n') {
                throw new AssertionError("text after the closing quote of " + name);
            }
            out.put(name, v.toString());
            i = j + 1;
        }
        return out;
    }

    /** NAME=value lines, taken literally to the end of the line, as docker run --env-file does. */
    private static SortedMap<String, String> readDocker(String text) {
        SortedMap<String, String> out = new TreeMap<>();
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            out.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return out;
    }
}
