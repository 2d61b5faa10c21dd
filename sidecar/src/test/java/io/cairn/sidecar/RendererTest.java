package io.cairn.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RendererTest {
    @TempDir
    Path dir;

    static ConfigView view(long rev, String... kv) {
        SortedMap<String, byte[]> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return new ConfigView(rev, m);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void oneFilePerKeyAndTemplatesSeeTheWholeTree() throws Exception {
        Renderer r = new Renderer(true, List.of(new Renderer.Template("t", "url={{ tree.db.url }}\nname={{ config[\"name\"] }} rev={{ rev }} pod={{ pod.name }}\n", "app.conf")),
                null, Map.of("name", "web-1"));
        SortedMap<String, byte[]> out = r.render(view(7, "db/url", "postgres://x", "name", "web")).files();
        assertThat(out.keySet()).containsExactly("app.conf", "db/url", "name");
        assertThat(text(out.get("app.conf"))).isEqualTo("url=postgres://x\nname=web rev=7 pod=web-1\n");
    }

    /** Found by KeyToFileFuzzTest: a key of slashes only threw out of render, holding every key back. */
    @Test
    void aKeyOfSlashesOnlyIsLeftOutAndTheRestRenders() throws Exception {
        Renderer r = new Renderer(true, List.of(new Renderer.Template("t", "{{ config[\"a\"] }}", "app.conf")), null, Map.of());
        Renderer.Rendered out = r.render(view(3, "/", "x", "a", "kept"));
        assertThat(text(out.files().get("a"))).isEqualTo("kept");
        assertThat(text(out.files().get("app.conf"))).isEqualTo("kept");
        assertThat(out.problems()).singleElement().asString().contains("config key \"/\"");
    }

    @Test
    void aTemplateNamingAMissingKeyFailsInsteadOfRenderingBlankAndKeepsItsPreviousOutput() throws Exception {
        Renderer r = new Renderer(true, List.of(new Renderer.Template("t", "{{ config[\"missing\"] }}", "x")), null, Map.of());
        Renderer.Rendered first = r.render(view(1, "other", "1"));
        assertThat(first.failedOutputs()).containsExactly("x");
        assertThat(first.problems()).singleElement().asString().contains("template t").contains("no output yet");
        assertThat(first.files()).as("the other outputs still advance").containsOnlyKeys("other");
        SortedMap<String, byte[]> before = new java.util.TreeMap<>(Map.of("x", "old".getBytes(StandardCharsets.UTF_8)));
        Renderer.Rendered later = r.render(view(2, "other", "2"), before);
        assertThat(text(later.files().get("x"))).isEqualTo("old");
        assertThat(text(later.files().get("other"))).isEqualTo("2");
        assertThat(later.problems()).singleElement().asString().contains("kept the previous output");
        assertThatThrownBy(() -> new Renderer(false, List.of(new Renderer.Template("bad", "{{ unclosed", "x")), null, Map.of()))
                .isInstanceOf(RenderException.class).hasMessageContaining("does not compile");
    }

    @Test
    void aKeyATemplateMayDoWithoutTakesADefaultAndIsNotRequired() throws Exception {
        Renderer r = new Renderer(false, List.of(new Renderer.Template("t",
                "port={{ config[\"port\"] | default(\"8080\") }} host={{ config[\"host\"] }}", "x")), null, Map.of());
        Renderer.Rendered out = r.render(view(1, "host", "db"));
        assertThat(out.problems()).isEmpty();
        assertThat(text(out.files().get("x"))).isEqualTo("port=8080 host=db");
        Renderer.Rendered withPort = r.render(view(2, "host", "db", "port", "9090"));
        assertThat(text(withPort.files().get("x"))).isEqualTo("port=9090 host=db");
        Renderer.Rendered noHost = r.render(view(3, "port", "9090"));
        assertThat(noHost.failedOutputs()).as("a key read without a default is required").containsExactly("x");
    }

    @Test
    void oddNamesAreLeftOutAndTheRestIsStillDelivered() throws Exception {
        Renderer r = new Renderer(true, List.of(), null, Map.of());
        for (String key : List.of("..", "../etc/passwd", "a/../b", "..data", "a/..x", ".", "a//b")) {
            Renderer.Rendered out = r.render(view(1, key, "v", "good", "g"));
            assertThat(out.files()).as(key).containsOnlyKeys("good");
            assertThat(out.problems()).as(key).singleElement().asString().contains(key).contains("left out");
            assertThat(out.failedOutputs()).as("a key is not an output the pod named").isEmpty();
        }
        assertThatThrownBy(() -> new Renderer(false, List.of(new Renderer.Template("t", "x", "/etc/x")), null, Map.of()))
                .isInstanceOf(RenderException.class);
    }

    @Test
    void envFileQuotesForTheShellAndForDocker() throws Exception {
        Renderer r = new Renderer(false, List.of(), "app.env", Map.of());
        String tricky = "it's $HOME `date` \"q\" \\ end";
        SortedMap<String, byte[]> out = r.render(view(1, "db/url", tricky, "multi", "a\nb", "9lives", "x")).files();
        Path env = dir.resolve("app.env");
        Files.write(env, out.get("app.env"));
        Process p = new ProcessBuilder("sh", "-c", "set -a; . \"$0\"; set +a; printf '%s|%s|%s' \"$DB_URL\" \"$MULTI\" \"$_9LIVES\"", env.toString())
                .redirectErrorStream(true).start();
        String got = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        assertThat(got).isEqualTo(tricky + "|a\nb|x");
        String docker = text(out.get("app.env.docker"));
        assertThat(docker).contains("DB_URL=" + tricky + "\n");
        assertThat(docker).contains("# MULTI left out");
        assertThat(docker).doesNotContain("MULTI=");
    }

    @Test
    void keysThatCollideAsVariablesFailTheEnvFileOnly() throws Exception {
        Renderer r = new Renderer(true, List.of(), "app.env", Map.of());
        Renderer.Rendered out = r.render(view(1, "db/url", "1", "db-url", "2"));
        assertThat(out.failedOutputs()).containsExactly("app.env");
        assertThat(out.problems()).singleElement().asString().contains("DB_URL");
        assertThat(out.files()).containsOnlyKeys("db/url", "db-url");
    }

    @Test
    void aKeyThatWouldBeAFileAndADirectoryIsLeftOut() throws Exception {
        Renderer r = new Renderer(true, List.of(new Renderer.Template("t", "x", "app.conf")), null, Map.of());
        Renderer.Rendered out = r.render(view(1, "a", "1", "a/b", "2", "app.conf/x", "3", "c", "4"));
        assertThat(out.files()).containsOnlyKeys("a/b", "app.conf", "c");
        assertThat(out.problems()).hasSize(2).anyMatch(p -> p.contains("config key \"a\" would clash with a/b"))
                .anyMatch(p -> p.contains("config key \"app.conf/x\" would clash with app.conf"));
        // A key named like a template's output, and one above it.
        Renderer deep = new Renderer(true, List.of(new Renderer.Template("t", "x", "conf/app.conf")), null, Map.of());
        Renderer.Rendered d = deep.render(view(1, "conf/app.conf", "1", "conf", "2", "conf/other", "3"));
        assertThat(d.files()).containsOnlyKeys("conf/app.conf", "conf/other");
        assertThat(text(d.files().get("conf/app.conf"))).as("the template's, not the key's").isEqualTo("x");
        assertThat(d.problems()).hasSize(2).anyMatch(p -> p.contains("config key \"conf/app.conf\" would clash with conf/app.conf"))
                .anyMatch(p -> p.contains("config key \"conf\" would clash with conf/app.conf"));
    }
}
