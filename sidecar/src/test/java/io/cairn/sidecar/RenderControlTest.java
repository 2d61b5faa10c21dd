package io.cairn.sidecar;

import static io.cairn.sidecar.SidecarTest.eventually;
import static io.cairn.sidecar.SidecarTest.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.node.testing.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --wait MIN[:MAX] and --reload-on, against a real node. */
class RenderControlTest {
    @TempDir
    Path dir;

    private Sidecar sidecar(CairnClient c, List<Renderer.Template> templates, ChangeAction action, Sidecar.RenderControl control)
            throws Exception {
        Renderer r = new Renderer(true, templates, null, Map.of());
        return new Sidecar(new Sidecar.Settings(c, List.of("/config/web"), new AtomicDirectory(dir.resolve("out")), r, action,
                null, Duration.ofSeconds(10), Sidecar.Lifecycle.DEFAULT, null, control));
    }

    private static long actions(Path log) {
        String s = read(log);
        return s == null ? 0 : s.lines().count();
    }

    @Test
    void aBurstOfChangesIsPublishedOnceItSettles() throws Exception {
        Path log = dir.resolve("actions.log");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/web/n", "0", -1);
            // Settled means 1 s without a change; 20 writes back to back come far closer together.
            Sidecar s = sidecar(c, List.of(), ChangeAction.parse("exec:echo $CAIRN_REVISION >> " + log),
                    new Sidecar.RenderControl(Duration.ofSeconds(1), Duration.ofSeconds(30), Set.of()));
            s.start();
            try {
                eventually("first render", s::ready);
                double rendersBefore = s.metrics.renders.get();
                long last = 0;
                for (int i = 1; i <= 20; i++) {
                    last = c.set("/config/web/n", Integer.toString(i), -1);
                }
                long lastRev = last;
                eventually("the last value published", () -> "20".equals(read(dir.resolve("out/n"))) && s.applied() >= lastRev);
                eventually("its action ran", () -> actions(log) >= 1);
                assertThat(s.metrics.renders.get() - rendersBefore).as("publications for 20 changes").isLessThanOrEqualTo(3);
                assertThat(actions(log)).as("actions for 20 changes").isLessThanOrEqualTo(3);
                assertThat(read(log).lines().toList()).as("the last action is for the last revision").last()
                        .isEqualTo(Long.toString(lastRev));
            } finally {
                s.close();
            }
        }
    }

    @Test
    void changesThatNeverSettleArePublishedByMax() throws Exception {
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/web/n", "0", -1);
            // MIN is far longer than the pause between writes, so only MAX can publish while they go on.
            Sidecar s = sidecar(c, List.of(), new ChangeAction.None(),
                    new Sidecar.RenderControl(Duration.ofSeconds(30), Duration.ofMillis(500), Set.of()));
            s.start();
            try {
                eventually("first render", s::ready);
                long first = s.applied();
                boolean publishedWhileWriting = false;
                // Bounded: at most 2,000 writes 10 ms apart.
                for (int i = 1; i <= 2_000 && !publishedWhileWriting; i++) {
                    c.set("/config/web/n", Integer.toString(i), -1);
                    Thread.sleep(10);
                    publishedWhileWriting = s.applied() > first;
                }
                assertThat(publishedWhileWriting).as("a revision published while changes kept coming").isTrue();
            } finally {
                s.close();
            }
        }
    }

    @Test
    void theActionRunsOnlyWhenAnOutputItIsForChanged() throws Exception {
        Path log = dir.resolve("actions.log");
        try (TestNode node = TestNode.start(); CairnClient c = CairnClient.connect(node.endpoint())) {
            c.set("/config/web/db/url", "postgres://a", -1);
            c.set("/config/web/motd", "hi", -1);
            Sidecar s = sidecar(c, List.of(new Renderer.Template("t", "url={{ tree.db.url }}\n", "app.conf")),
                    ChangeAction.parse("exec:echo $CAIRN_REVISION >> " + log),
                    new Sidecar.RenderControl(Duration.ZERO, Duration.ZERO, Set.of("app.conf")));
            s.start();
            try {
                eventually("first render", s::ready);
                long motd = c.set("/config/web/motd", "hello", -1);
                eventually("motd published", () -> s.applied() >= motd && "hello".equals(read(dir.resolve("out/motd"))));
                long url = c.set("/config/web/db/url", "postgres://b", -1);
                eventually("the action for app.conf ran", () -> actions(log) == 1);
                assertThat(read(log).strip()).as("only the revision that changed app.conf").isEqualTo(Long.toString(url));
                long motd2 = c.set("/config/web/motd", "bye", -1);
                eventually("motd published again", () -> s.applied() >= motd2);
                assertThat(actions(log)).isEqualTo(1);
            } finally {
                s.close();
            }
        }
    }

    @Test
    void badRenderControlFlagsAreRefusedClearly() {
        String[][] cases = {
            {"--wait", "--wait", "soon"},
            {"MAX must not be less than MIN", "--wait", "5s:1s"},
            {"--reload-on app.conf is none of the outputs", "--reload-on", "app.conf", "--no-files"},
            {"--reload-on ../x", "--reload-on", "../x"},
        };
        for (String[] c : cases) {
            List<String> args = new java.util.ArrayList<>(List.of("--watch", "/config/web", "--out", dir.resolve("o").toString(),
                    "--app", "web", "--pod", "web-1", "--endpoints", "127.0.0.1:1", "--env-file", "app.env"));
            args.addAll(List.of(c).subList(1, c.length));
            SidecarTest.assertRefused(c[0], args);
        }
    }
}
