package io.cairn.node.testing;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** What the process and client tests rely on: a failure off the test's thread is not lost. */
class BackgroundTest {
    @Test
    void aThreadThatThrowsFailsTheJoin() {
        Background bg = new Background();
        bg.start("ok", () -> { });
        bg.start("writer", () -> {
            throw new IllegalStateException("planted");
        });
        assertThatThrownBy(bg::join).isInstanceOf(AssertionError.class).hasMessageContaining("writer").hasMessageContaining("planted");
    }

    @Test
    void aListenerFailureIsReportedByCheck() {
        Background bg = new Background();
        bg.fail(new AssertionError("no event expected"));
        assertThatThrownBy(bg::check).hasMessageContaining("no event expected");
    }

    @Test
    void aThreadStillRunningAtTheDeadlineFailsTheJoin() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Background bg = new Background(Duration.ofMillis(50));
        bg.start("stuck", release::await);
        assertThatThrownBy(bg::join).hasMessageContaining("stuck").hasMessageContaining("still running");
        release.countDown();
        assertThatCode(() -> new Background().join()).doesNotThrowAnyException();
    }
}
