package io.cairn.sidecar;

import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Turns a {@link ConfigView} into output files: one per config key, one per template, and an env
 * file in two dialects. Pure: the same view always renders the same bytes, so the sidecar can tell
 * a revision that changed nothing from one that did.
 */
public final class Renderer {
    /** A template: its source text and where its output goes (relative to the output directory). */
    public record Template(String name, String source, String dest) {}

    private final boolean filesPerKey;
    private final List<Template> templates;
    private final String envFile;
    private final Map<String, Object> pod;
    private final Map<String, PebbleTemplate> compiled = new HashMap<>();

    public Renderer(boolean filesPerKey, List<Template> templates, String envFile, Map<String, Object> pod) throws RenderException {
        this.filesPerKey = filesPerKey;
        this.templates = List.copyOf(templates);
        this.envFile = envFile;
        this.pod = Map.copyOf(pod);
        // Only a pod with templates loads the engine (some 160 classes of a sidecar's memory).
        PebbleEngine engine = templates.isEmpty() ? null
                : new PebbleEngine.Builder().strictVariables(true).autoEscaping(false).newLineTrimming(false).build();
        for (Template t : templates) {
            checkRelative(t.dest(), "template output " + t.dest());
            try {
                compiled.put(t.name(), engine.getLiteralTemplate(t.source()));
            } catch (PebbleException e) {
                throw new RenderException("template " + t.name() + " does not compile: " + e.getMessage(), e);
            }
        }
        if (envFile != null) {
            checkRelative(envFile, "env file " + envFile);
        }
    }

    /**
     * What a view renders to: the files (by path relative to the output directory), what could
     * not be rendered and why, and which of those were outputs the pod asked for by name (a
     * template, the env file) rather than config keys.
     */
    public record Rendered(SortedMap<String, byte[]> files, List<String> problems, List<String> failedOutputs) {
        public boolean complete() {
            return problems.isEmpty();
        }
    }

    /** Renders a view with nothing published before it. */
    public Rendered render(ConfigView view) {
        return render(view, new TreeMap<>());
    }

    /**
     * The files for this view. One bad input never holds the rest back: a config key that cannot
     * be a file (its name, or a file and a directory of the same name) is left out; a template or
     * env file that fails keeps what {@code previous} had for it. Each is named in the problems.
     * (One key named {@code ../x} used to keep every later revision from being published.)
     */
    public Rendered render(ConfigView view, SortedMap<String, byte[]> previous) {
        SortedMap<String, byte[]> out = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        SortedMap<String, byte[]> keys = new TreeMap<>();
        if (filesPerKey) {
            for (Map.Entry<String, byte[]> e : view.files().entrySet()) {
                try {
                    checkRelative(e.getKey(), "config key " + quoted(e.getKey()));
                    keys.put(e.getKey(), e.getValue());
                } catch (RenderException bad) {
                    problems.add(bad.getMessage() + " (left out)");
                }
            }
        }
        Map<String, Object> context = context(view);
        for (Template t : templates) {
            StringWriter w = new StringWriter();
            try {
                compiled.get(t.name()).evaluate(w, context);
                out.put(t.dest(), w.toString().getBytes(StandardCharsets.UTF_8));
            } catch (PebbleException | IOException e) {
                failed.add(t.dest());
                problems.add("template " + t.name() + " failed at rev " + view.rev() + ": " + e.getMessage()
                        + keptOrNot(previous, t.dest(), out));
            }
        }
        if (envFile != null) {
            try {
                byte[] shell = EnvFiles.shell(view.files()).getBytes(StandardCharsets.UTF_8);
                byte[] docker = EnvFiles.docker(view.files()).getBytes(StandardCharsets.UTF_8);
                out.put(envFile, shell);
                out.put(envFile + ".docker", docker);
            } catch (RenderException e) {
                failed.add(envFile);
                problems.add("env file " + envFile + ": " + e.getMessage() + keptOrNot(previous, envFile, out));
                keptOrNot(previous, envFile + ".docker", out);
            }
        }
        // A key whose name an output already has, or that would be a file and a directory at once
        // (a directory wins over a file of the same name). Sorted lookups, not every pair.
        java.util.NavigableMap<String, byte[]> named = new TreeMap<>(out);
        java.util.NavigableMap<String, byte[]> sortedKeys = new TreeMap<>(keys);
        for (Map.Entry<String, byte[]> k : keys.entrySet()) {
            String clash = named.containsKey(k.getKey()) ? k.getKey() : under(named, k.getKey());
            for (int i = k.getKey().indexOf('/'); clash == null && i > 0; i = k.getKey().indexOf('/', i + 1)) {
                String parent = k.getKey().substring(0, i);
                clash = named.containsKey(parent) ? parent : null;
            }
            if (clash == null) {
                clash = under(sortedKeys, k.getKey());
            }
            if (clash != null) {
                problems.add("config key " + quoted(k.getKey()) + " would clash with " + clash + " in the output (left out)");
            } else {
                out.put(k.getKey(), k.getValue());
            }
        }
        return new Rendered(out, List.copyOf(problems), List.copyOf(failed));
    }

    /** A key as problems name it: quoted, so an empty key or one with spaces reads as what it is. */
    static String quoted(String key) {
        return "\"" + key.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    /** The first name in {@code m} under the directory {@code path}, or null. */
    private static String under(java.util.NavigableMap<String, byte[]> m, String path) {
        String next = m.ceilingKey(path + "/");
        return next != null && next.startsWith(path + "/") ? next : null;
    }

    /** Keeps the previous output at {@code path}, if there was one, and says which. */
    private static String keptOrNot(SortedMap<String, byte[]> previous, String path, SortedMap<String, byte[]> out) {
        byte[] before = previous.get(path);
        if (before == null) {
            return " (no output yet)";
        }
        out.put(path, before);
        return " (kept the previous output)";
    }

    /**
     * What templates see: {@code config} (key → text), {@code tree} (the keys as nested maps, so
     * {@code tree.db.url}), {@code rev}, and {@code pod} (namespace, app, name, ip).
     */
    private Map<String, Object> context(ConfigView view) {
        Map<String, Object> config = new LinkedHashMap<>();
        Map<String, Object> tree = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : view.files().entrySet()) {
            String text = new String(e.getValue(), StandardCharsets.UTF_8);
            config.put(e.getKey(), text);
            insert(tree, e.getKey().split("/"), text);
        }
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("config", config);
        ctx.put("tree", tree);
        ctx.put("rev", view.rev());
        ctx.put("pod", pod);
        return ctx;
    }

    @SuppressWarnings("unchecked")
    private static void insert(Map<String, Object> tree, String[] segments, String value) {
        if (segments.length == 0) {
            return; // a key of slashes only ("/" splits into nothing; found by KeyToFileFuzzTest)
        }
        Map<String, Object> at = tree;
        for (int i = 0; i < segments.length - 1; i++) {
            Object next = at.computeIfAbsent(segments[i], k -> new LinkedHashMap<String, Object>());
            if (!(next instanceof Map)) {
                return; // a key that is both a value and a directory cannot happen in the store
            }
            at = (Map<String, Object>) next;
        }
        at.put(segments[segments.length - 1], value);
    }

    /** Output paths stay inside the output directory and off the names the atomic swap uses. */
    static void checkRelative(String path, String what) throws RenderException {
        if (path == null || path.isEmpty() || path.startsWith("/")) {
            throw new RenderException(what + ": must be a relative path");
        }
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..") || seg.startsWith("..")) {
                throw new RenderException(what + ": the segment \"" + seg + "\" is not allowed (empty, . , .. or ..name)");
            }
            if (!seg.matches("[A-Za-z0-9._-]+")) {
                throw new RenderException(what + ": the segment \"" + seg + "\" has characters other than A-Z a-z 0-9 . _ -");
            }
        }
    }
}
