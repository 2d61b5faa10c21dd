package io.cairn.sidecar;

import static io.cairn.sidecar.SidecarTest.eventually;
import static io.cairn.sidecar.SidecarTest.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-pod config: .pods/POD, .ordinals/N and .groups/GROUP over the shared keys. */
class OverlaysTest {
    @TempDir
    Path dir;

    private static SortedMap<String, byte[]> keys(String... kv) {
        SortedMap<String, byte[]> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }

    private static Map<String, String> text(SortedMap<String, byte[]> m) {
        Map<String, String> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, new String(v, StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void thePodsOwnBeatsItsOrdinalsWhichBeatsTheSharedAndNoOverlayIsRendered() {
        SortedMap<String, byte[]> all = keys("role", "replica", "port", "5432", "db/url", "x",
                ".ordinals/0/role", "primary", ".ordinals/1/role", "standby",
                ".pods/db-0/port", "6000", ".pods/db-0/extra/flag", "on", ".pods/db-10/port", "7000",
                ".pods/db-0/.pods/db-1/port", "nested overlays are not overlays");
        assertThat(text(Overlays.apply(all, "db-0"))).containsExactlyInAnyOrderEntriesOf(
                Map.of("role", "primary", "port", "6000", "db/url", "x", "extra/flag", "on"));
        assertThat(text(Overlays.apply(all, "db-1"))).containsExactlyInAnyOrderEntriesOf(
                Map.of("role", "standby", "port", "5432", "db/url", "x"));
        assertThat(text(Overlays.apply(all, "db-10"))).as("db-1's overlay is not db-10's, nor the reverse")
                .containsExactlyInAnyOrderEntriesOf(Map.of("role", "replica", "port", "7000", "db/url", "x"));
        assertThat(text(Overlays.apply(all, null))).containsExactlyInAnyOrderEntriesOf(
                Map.of("role", "replica", "port", "5432", "db/url", "x"));
        assertThat(text(Overlays.apply(all, "web-abcde"))).as("no ordinal in a Deployment pod's name")
                .containsExactlyInAnyOrderEntriesOf(Map.of("role", "replica", "port", "5432", "db/url", "x"));
    }

    @Test
    void aGroupsOverlayLiesBetweenTheSharedAndTheOrdinals() {
        SortedMap<String, byte[]> all = keys("color", "blue", "mode", "normal", "role", "replica",
                ".groups/canary/color", "red", ".groups/canary/role", "group's", ".groups/other/color", "green",
                ".ordinals/0/role", "primary", ".pods/db-0/mode", "debug");
        assertThat(text(Overlays.apply(all, "db-0", "canary"))).containsExactlyInAnyOrderEntriesOf(
                Map.of("color", "red", "mode", "debug", "role", "primary"));
        assertThat(text(Overlays.apply(all, "db-1", "canary"))).containsExactlyInAnyOrderEntriesOf(
                Map.of("color", "red", "mode", "normal", "role", "group's"));
        assertThat(text(Overlays.apply(all, "db-1", null))).as("no group: no group's overlay")
                .containsExactlyInAnyOrderEntriesOf(Map.of("color", "blue", "mode", "normal", "role", "replica"));
        assertThat(text(Overlays.apply(all, "db-1", ""))).containsExactlyInAnyOrderEntriesOf(
                Map.of("color", "blue", "mode", "normal", "role", "replica"));
    }

    @Test
    void ordinalsAreTheNumberAfterTheLastDash() {
        assertThat(Overlays.ordinal("db-0")).isEqualTo("0");
        assertThat(Overlays.ordinal("my-db-12")).isEqualTo("12");
        assertThat(Overlays.ordinal("db-012")).isNull();
        assertThat(Overlays.ordinal("db")).isNull();
        assertThat(Overlays.ordinal("db-")).isNull();
        assertThat(Overlays.ordinal("web-7d9f8-x2x4z")).isNull();
        assertThat(Overlays.ordinal("db-99999999999")).isNull();
    }

    @Test
    void twoPodsOfOneStatefulSetGetTheirOwnFilesAndFollowTheirOverlays() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/db/role", "replica", -1);
            c.set("/config/db/port", "5432", -1);
            c.set("/config/db/.ordinals/0/role", "primary", -1);
            List<Sidecar> sidecars = new java.util.ArrayList<>();
            for (String pod : List.of("db-0", "db-1")) {
                Renderer r = new Renderer(true, List.of(new Renderer.Template("t", "{{ tree.role }}:{{ tree.port }}", "db.conf")), null,
                        Map.of("name", pod));
                Sidecar s = new Sidecar(new Sidecar.Settings(c, List.of("/config/db"), new AtomicDirectory(dir.resolve(pod)), r,
                        new ChangeAction.None(), new Sidecar.Identity("prod", "db", pod, ""), Duration.ofSeconds(10)));
                s.start();
                sidecars.add(s);
            }
            try {
                eventually("both rendered", () -> sidecars.stream().allMatch(Sidecar::ready));
                assertThat(read(dir.resolve("db-0/role"))).isEqualTo("primary");
                assertThat(read(dir.resolve("db-0/db.conf"))).isEqualTo("primary:5432");
                assertThat(read(dir.resolve("db-1/role"))).isEqualTo("replica");
                assertThat(Files.exists(dir.resolve("db-0/.ordinals"))).isFalse();
                assertThat(Files.exists(dir.resolve("db-1/.pods"))).isFalse();

                c.set("/config/db/.pods/db-1/port", "6000", -1);
                eventually("db-1 follows its own overlay", () -> "6000".equals(read(dir.resolve("db-1/port"))));
                assertThat(read(dir.resolve("db-1/db.conf"))).isEqualTo("replica:6000");
                c.set("/config/db/port", "5433", -1);
                eventually("db-0 follows the shared change", () -> "5433".equals(read(dir.resolve("db-0/port"))));
                assertThat(read(dir.resolve("db-1/port"))).as("its own value still wins").isEqualTo("6000");
                c.del("/config/db/.pods/db-1/port", -1);
                eventually("without its overlay db-1 has the shared value", () -> "5433".equals(read(dir.resolve("db-1/port"))));
            } finally {
                sidecars.forEach(Sidecar::close);
            }
        }
    }
}
