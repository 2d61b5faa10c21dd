package io.cairn.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which processes are the apps', from a /proc laid out as a pod with a shared process namespace shows it. */
class PodProcessesTest {
    @TempDir
    Path proc;

    private void process(long pid, String comm, long ppid) throws Exception {
        Path d = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(d.resolve("stat"), pid + " (" + comm + ") S " + ppid + " " + pid + " " + pid + " 0 -1 4194560 0 0\n");
    }

    @Test
    void theAppsAreTheProcessesOfContainersOtherThanPauseAndThisOne() throws Exception {
        process(1, "pause", 0);
        process(7, "sh", 0);           // app container one
        process(9, "worker (1) x", 7);  // its child; a name with spaces and parentheses
        process(12, "java", 0);        // this sidecar container
        process(13, "sh", 12);         // an --on-change action of it
        process(20, "orphan", 1);      // a process whose parent ended: reparented to pause
        process(31, "python3", 0);     // app container two
        Files.createDirectories(proc.resolve("self"));
        Files.writeString(proc.resolve("uptime"), "1.0 1.0\n");
        assertThat(new PodProcesses(proc, 12).apps()).containsExactly(7L, 9L, 31L);
        assertThat(new PodProcesses(proc, 13).apps()).as("from a child of the container's first process").containsExactly(7L, 9L, 31L);
    }

    @Test
    void aProcessThatEndsWhileBeingReadIsLeftOut() throws Exception {
        process(1, "pause", 0);
        process(12, "java", 0);
        Files.createDirectories(proc.resolve("40")); // listed, its stat gone already
        assertThat(new PodProcesses(proc, 12).apps()).isEmpty();
    }

    @Test
    void aContainerAloneInItsNamespaceIsRefused() throws Exception {
        process(1, "java", 0);
        process(5, "sh", 1);
        assertThatThrownBy(() -> new PodProcesses(proc, 1).apps()).isInstanceOf(PodProcesses.NotShared.class)
                .hasMessageContaining("shareProcessNamespace: true");
        assertThatThrownBy(() -> new PodProcesses(proc, 5).apps()).isInstanceOf(PodProcesses.NotShared.class);
        assertThatThrownBy(() -> new PodProcesses(proc, 99).apps()).isInstanceOf(PodProcesses.NotShared.class)
                .hasMessageContaining("is not in");
    }

    @Test
    void theParentIsReadPastTheCommandName() throws Exception {
        Path stat = proc.resolve("stat");
        Files.writeString(stat, "42 (a) S 3 (b)) R 17 42 42 0\n");
        assertThat(PodProcesses.parentIn(stat)).isEqualTo(17);
        Files.writeString(stat, "42 (truncated");
        assertThat(PodProcesses.parentIn(stat)).isEqualTo(-1);
        assertThat(PodProcesses.parentIn(proc.resolve("missing"))).isEqualTo(-1);
    }

    @Test
    void theSidecarEndsOnceTheAppsItSawHaveEndedOrWhenNoneCame() {
        AppsEnd rule = new AppsEnd(1_000, 30_000);
        assertThat(rule.observe(Set.of(), 2_000)).isEmpty();
        assertThat(rule.observe(Set.of(7L), 3_000)).isEmpty();
        assertThat(rule.observe(Set.of(7L, 9L), 40_000)).as("running apps keep it, however long").isEmpty();
        assertThat(rule.observe(Set.of(), 41_000)).hasValue("the app containers' processes have all ended");

        AppsEnd unseen = new AppsEnd(1_000, 30_000);
        assertThat(unseen.observe(Set.of(), 30_999)).isEmpty();
        assertThat(unseen.observe(Set.of(), 31_000)).get().asString().contains("no app container's process was seen in 30 s");
    }

    @Test
    void aLookThatThrowsDoesNotStopTheLooking() throws InterruptedException {
        // A periodic task that throws is cancelled without a word; the sidecar would never end.
        java.util.concurrent.atomic.AtomicInteger looks = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
        SidecarMain.endWhen("test-end-watch", stop, () -> {
            int n = looks.incrementAndGet();
            if (n == 1) {
                throw new IllegalStateException("a /proc entry that cannot be read");
            }
            if (n == 2) {
                throw new OutOfMemoryError("a full heap, once");
            }
            return n == 3;
        });
        assertThat(stop.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("the third look ends it").isTrue();
        assertThat(looks.get()).isEqualTo(3);
    }
}
