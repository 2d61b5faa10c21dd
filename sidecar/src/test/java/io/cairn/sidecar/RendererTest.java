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
        SortedMap<String, byte[]> out = r.render(view(7, "db/url", "postgres://x", "name", "web"));
        assertThat(out.keySet()).containsExactly("app.conf", "db/url", "name");
        assertThat(text(out.get("app.conf"))).isEqualTo("url=postgres://x\nname=web rev=7 pod=web-1\n");
    }

    @Test
    void aTemplateNamingAMissingKeyFailsInsteadOfRenderingBlank() throws Exception {
        Renderer r = new Renderer(false, List.of(new Renderer.Template("t", "{{ config[\"missing\"] }}", "x")), null, Map.of());
        assertThatThrownBy(() -> r.render(view(1, "other", "1"))).isInstanceOf(RenderException.class).hasMessageContaining("template t");
        assertThatThrownBy(() -> new Renderer(false, List.of(new Renderer.Template("bad", "{{ unclosed", "x")), null, Map.of()))
                .isInstanceOf(RenderException.class).hasMessageContaining("does not compile");
    }

    @Test
    void oddNamesAreRefused() throws Exception {
        Renderer r = new Renderer(true, List.of(), null, Map.of());
        for (String key : List.of("..", "../etc/passwd", "a/../b", "..data", "a/..x", ".", "a//b")) {
            assertThatThrownBy(() -> r.render(view(1, key, "v"))).as(key).isInstanceOf(RenderException.class);
        }
        assertThatThrownBy(() -> new Renderer(false, List.of(new Renderer.Template("t", "x", "/etc/x")), null, Map.of()))
                .isInstanceOf(RenderException.class);
    }

    @Test
    void envFileQuotesForTheShellAndForDocker() throws Exception {
        Renderer r = new Renderer(false, List.of(), "app.env", Map.of());
        String tricky = "it's $HOME `date` \"q\" \\ end";
        SortedMap<String, byte[]> out = r.render(view(1, "db/url", tricky, "multi", "a\nb", "9lives", "x"));
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
    void keysThatCollideAsVariablesAreAnError() throws Exception {
        Renderer r = new Renderer(false, List.of(), "app.env", Map.of());
        assertThatThrownBy(() -> r.render(view(1, "db/url", "1", "db-url", "2"))).isInstanceOf(RenderException.class)
                .hasMessageContaining("DB_URL");
    }
}
