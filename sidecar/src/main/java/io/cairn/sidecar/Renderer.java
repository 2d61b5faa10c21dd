package io.cairn.sidecar;

import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
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
    private final PebbleEngine engine = new PebbleEngine.Builder().strictVariables(true).autoEscaping(false).newLineTrimming(false).build();
    private final Map<String, PebbleTemplate> compiled = new HashMap<>();

    public Renderer(boolean filesPerKey, List<Template> templates, String envFile, Map<String, Object> pod) throws RenderException {
        this.filesPerKey = filesPerKey;
        this.templates = List.copyOf(templates);
        this.envFile = envFile;
        this.pod = Map.copyOf(pod);
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

    /** The files for this view, by path relative to the output directory. */
    public SortedMap<String, byte[]> render(ConfigView view) throws RenderException {
        SortedMap<String, byte[]> out = new TreeMap<>();
        if (filesPerKey) {
            for (Map.Entry<String, byte[]> e : view.files().entrySet()) {
                checkRelative(e.getKey(), "config key " + e.getKey());
                out.put(e.getKey(), e.getValue());
            }
        }
        Map<String, Object> context = context(view);
        for (Template t : templates) {
            StringWriter w = new StringWriter();
            try {
                compiled.get(t.name()).evaluate(w, context);
            } catch (PebbleException | IOException e) {
                throw new RenderException("template " + t.name() + " failed at rev " + view.rev() + ": " + e.getMessage(), e);
            }
            put(out, t.dest(), w.toString().getBytes(StandardCharsets.UTF_8));
        }
        if (envFile != null) {
            put(out, envFile, EnvFiles.shell(view.files()).getBytes(StandardCharsets.UTF_8));
            put(out, envFile + ".docker", EnvFiles.docker(view.files()).getBytes(StandardCharsets.UTF_8));
        }
        // A file and a directory cannot share a name.
        for (String path : out.keySet()) {
            for (String other : out.keySet()) {
                if (other.startsWith(path + "/")) {
                    throw new RenderException(path + " would be both a file and a directory in the output");
                }
            }
        }
        return out;
    }

    private static void put(SortedMap<String, byte[]> out, String path, byte[] content) throws RenderException {
        if (out.put(path, content) != null) {
            throw new RenderException("two outputs want the same file " + path);
        }
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
