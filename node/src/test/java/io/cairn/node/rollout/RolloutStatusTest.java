package io.cairn.node.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.node.store.FileEntry;
import io.cairn.node.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutStatusTest {
    static FileEntry f(String path, String value, long rev) {
        return new FileEntry(path, value.getBytes(StandardCharsets.UTF_8), rev);
    }

    static FileEntry presence(String pod, long rev, String status, String watched) {
        return f("/presence/prod/db/" + pod, "{\"rev\":" + rev + ",\"status\":\"" + status + "\""
                + (watched == null ? "" : ",\"prefixes\":[\"" + watched + "\"]") + "}", 1);
    }

    @Test
    void eachPodWaitsForTheNewestFileItSees() {
        List<FileEntry> files = List.of(f("/config/db/role", "replica", 10), f("/config/db/.ordinals/0/role", "primary", 20),
                f("/config/db/.pods/db-2/log", "debug", 30), f("/config/db/.pods/.rollout", "{}", 40));
        List<FileEntry> pods = List.of(presence("db-0", 20, "ready", "/config/db"), presence("db-1", 15, "ready", "/config/db"),
                presence("db-2", 29, "ready", "/config/db"), presence("db-3", 5, "degraded", "/config/db"),
                presence("old", 1, "ready", null), presence("web-0", 1, "ready", "/config/web"),
                f("/presence/stray", "x", 1), f("/presence/prod/db/garbage", "not json", 1));
        RolloutStatus.Report r = RolloutStatus.of("/config/db", 0, files, pods, 50);
        assertThat(r.pods()).extracting(RolloutStatus.Pod::pod).containsExactly("db-0", "db-1", "db-2", "db-3");
        assertThat(r.pods()).extracting(RolloutStatus.Pod::target).containsExactly(20L, 10L, 30L, 10L);
        assertThat(r.pods()).extracting(RolloutStatus.Pod::state).containsExactly(RolloutStatus.State.APPLIED,
                RolloutStatus.State.APPLIED, RolloutStatus.State.LAGGING, RolloutStatus.State.FAILED);
        assertThat(r.stage()).isNull(); // "{}" is no stage record
        assertThat(r.done()).isFalse();
        assertThat(r.failed()).isTrue();
        assertThat(r.toJson().get("summary").toString()).isEqualTo("{\"pods\":4,\"applied\":2,\"lagging\":1,\"failed\":1}");
        // A revision asked for holds for every pod.
        assertThat(RolloutStatus.of("/config/db", 16, files, pods, 50).pods()).extracting(RolloutStatus.Pod::state)
                .containsExactly(RolloutStatus.State.APPLIED, RolloutStatus.State.LAGGING, RolloutStatus.State.APPLIED,
                        RolloutStatus.State.FAILED);
    }

    @Test
    void aGroupsPodsWaitForItsOverlay() {
        List<FileEntry> files = List.of(f("/config/web/color", "blue", 10), f("/config/web/.groups/canary/color", "red", 20),
                f("/config/web/.pods/.rollout", "{\"pods\":[],\"groups\":[\"canary\"],\"keys\":[\"color\"]}", 20));
        List<FileEntry> pods = List.of(f("/presence/shop/web/web-0", "{\"rev\":15,\"status\":\"ready\",\"group\":\"canary\","
                + "\"prefixes\":[\"/config/web\"]}", 1), f("/presence/shop/web/web-1", "{\"rev\":15,\"status\":\"ready\","
                + "\"prefixes\":[\"/config/web\"]}", 1));
        RolloutStatus.Report r = RolloutStatus.of("/config/web", 0, files, pods, 30);
        assertThat(r.stage().groups()).containsExactly("canary");
        assertThat(r.pods()).extracting(RolloutStatus.Pod::target).containsExactly(20L, 10L);
        assertThat(r.pods()).extracting(RolloutStatus.Pod::staged).containsExactly(true, false);
        assertThat(r.pods()).extracting(RolloutStatus.Pod::state).containsExactly(RolloutStatus.State.LAGGING, RolloutStatus.State.APPLIED);
        assertThat(r.toJson().get("pods").get(0).get("group").asText()).isEqualTo("canary");
    }

    @Test
    void aPodWatchingAboveOrBelowThePrefixTakesPart() {
        List<FileEntry> files = List.of(f("/config/db/a/x", "1", 7));
        List<FileEntry> pods = List.of(presence("above", 7, "ready", "/config"), presence("below", 6, "ready", "/config/db/a"),
                presence("beside", 6, "ready", "/config/dbx"));
        RolloutStatus.Report r = RolloutStatus.of("/config/db", 0, files, pods, 9);
        assertThat(r.pods()).extracting(RolloutStatus.Pod::pod).containsExactly("above", "below");
        assertThat(r.pods()).extracting(RolloutStatus.Pod::state).containsExactly(RolloutStatus.State.APPLIED, RolloutStatus.State.LAGGING);
        assertThat(RolloutStatus.sees("db-1", "", List.of("/config"), "/config/.pods/db-1/k")).isTrue();
        assertThat(RolloutStatus.sees("db-1", "", List.of("/config"), "/config/.ordinals/1/k")).isTrue();
        assertThat(RolloutStatus.sees("db-1", "", List.of("/config"), "/config/.ordinals/0/k")).isFalse();
        assertThat(RolloutStatus.sees("web-7d9f8-x2x4z", "", List.of("/config"), "/config/.ordinals/0/k")).isFalse();
        assertThat(RolloutStatus.sees("web-1", "canary", List.of("/config"), "/config/.groups/canary/k")).isTrue();
        assertThat(RolloutStatus.sees("web-1", "", List.of("/config"), "/config/.groups/canary/k")).isFalse();
        assertThat(RolloutStatus.sees("web-1", "blue", List.of("/config"), "/config/.groups/canary/k")).isFalse();
    }

    @Test
    void aStageRecordRoundTripsAndRefusesNonsense() {
        Stage s = new Stage(List.of("web-1", "web-2"), List.of("canary"), List.of("color", "feature/x"));
        assertThat(s.who()).isEqualTo("web-1,web-2, group canary");
        assertThat(s.overlays("/config/web")).extracting(Stage.Overlay::path).containsExactly("/config/web/.pods/web-1/color", "/config/web/.pods/web-2/color",
                "/config/web/.groups/canary/color", "/config/web/.pods/web-1/feature/x", "/config/web/.pods/web-2/feature/x",
                "/config/web/.groups/canary/feature/x");
        assertThat(Stage.parse("/r", s.toJson())).isEqualTo(s);
        assertThat(Stage.recordPath("/config/web")).isEqualTo("/config/web/.pods/.rollout");
        assertThat(Stage.overlayPath("/config/web", "web-1", "feature/x")).isEqualTo("/config/web/.pods/web-1/feature/x");
        assertThatThrownBy(() -> new Stage(List.of(".rollout"), List.of(), List.of("a"))).isInstanceOf(StoreException.class)
                .hasMessageContaining("is not a pod name");
        assertThatThrownBy(() -> new Stage(List.of("a/b"), List.of(), List.of("a"))).hasMessageContaining("is not a pod name");
        assertThatThrownBy(() -> new Stage(List.of("a"), List.of(), List.of(".groups/x/k"))).hasMessageContaining("is not a key under the prefix");
        assertThatThrownBy(() -> new Stage(List.of(), List.of(), List.of("k"))).hasMessageContaining("at least one pod or group");
        assertThatThrownBy(() -> new Stage(List.of(), List.of("a/b"), List.of("k"))).hasMessageContaining("is not a group name");
        // A record written before groups existed reads as a stage of pods.
        assertThat(Stage.parse("/r", "{\"pods\":[\"a\"],\"keys\":[\"k\"]}".getBytes(StandardCharsets.UTF_8)).groups()).isEmpty();
        assertThatThrownBy(() -> Stage.parse("/r", "[]".getBytes(StandardCharsets.UTF_8))).hasMessageContaining("not a stage record");
    }
}
