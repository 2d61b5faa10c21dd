package io.cairn.node.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PathsTest {
    @ParameterizedTest
    @ValueSource(strings = {"/", "/a", "/a/b", "/A-z_0.9", "/.hidden", "/a/b/c/d/e/f"})
    void valid(String p) {
        assertThat(Paths.isValid(p)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "a/b", "/a/", "//", "/a//b", "/a b", "/a*", "/a?", "/é", "/a\u0000"})
    void invalid(String p) {
        assertThat(Paths.isValid(p)).isFalse();
        assertThatThrownBy(() -> Paths.check(p)).hasMessageStartingWith("bad path");
    }

    @Test
    void writablePathsAreCanonical() {
        for (String bad : new String[] {"/a/..", "/a/../b", "/.", "/a/./b", "/.."}) {
            assertThatThrownBy(() -> Paths.checkWritable(bad)).as(bad).isInstanceOf(StoreException.class)
                    .hasMessageContaining("is not allowed");
            assertThat(Paths.isValid(bad)).as("still readable: " + bad).isTrue();
        }
        for (String fine : new String[] {"/", "/a", "/.a", "/a..", "/...", "/a/b.c"}) {
            assertThat(Paths.checkWritable(fine)).isEqualTo(fine);
        }
    }

    @Test
    void tooLong() {
        assertThat(Paths.isValid("/" + "a".repeat(Paths.MAX_PATH_LENGTH))).isFalse();
    }

    @Test
    void parentsAndPrefixes() {
        assertThat(Paths.parent("/a")).isEqualTo("/");
        assertThat(Paths.parent("/a/b/c")).isEqualTo("/a/b");
        assertThat(Paths.childPrefix("/")).isEqualTo("/");
        assertThat(Paths.childPrefix("/a")).isEqualTo("/a/");
        assertThat(Paths.isUnder("/ctl/x", "/ctl")).isTrue();
        assertThat(Paths.isUnder("/ctl", "/ctl")).isTrue();
        assertThat(Paths.isUnder("/ctlx", "/ctl")).isFalse();
        assertThat(Paths.isUnder("/a", "/")).as("found by PathGlobFuzzTest: nothing was under the root").isTrue();
    }
}
