package io.cairn.node.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GlobTest {
    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource({
        "/a,         /a,          true",
        "/a,         /a/b,        false",
        "/a/*,       /a/b,        true",
        "/a/*,       /a/b/c,      false",
        "/a/*,       /a,          false",
        "/a/*/c,     /a/b/c,      true",
        "/a/*/c,     /a/b/d/c,    false",
        "/a/**,      /a/b,        true",
        "/a/**,      /a/b/c/d,    true",
        "/a/**,      /a,          false",
        "/a/**,      /ab,         false",
        "/a/**/c,    /a/c,        true",
        "/a/**/c,    /a/b/c,      true",
        "/a/**/c,    /a/b/x/c,    true",
        "/a/**/c,    /a/b/cc,     false",
        "/**,        /anything/at/all, true",
        "/a?,        /ab,         true",
        "/a?,        /a,          false",
        "/a?,        /abc,        false",
        "/a/?,       /a/b,        true",
        "/x*y,       /xy,         true",
        "/x*y,       /x-long.y,   true",
        "/x*y,       /x/y,        false",
        "/a.b,       /a.b,        true",
        "/a.b,       /aXb,        false",
        "/a-b/*,     /a-b/c,      true",
        "/a**b,      /a/x/b,      true",
    })
    void matches(String glob, String path, boolean expected) {
        assertThat(Glob.compile(glob).matches(path)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/*", "/a b", "/a[b]", "/a\\b", "/{a,b}"})
    void badGlobsAreRefused(String glob) {
        assertThatThrownBy(() -> Glob.compile(glob))
                .isInstanceOf(StoreException.class)
                .extracting(t -> ((StoreException) t).code()).isEqualTo(Err.BAD_PATH);
    }

    @ParameterizedTest(name = "{0} scans from {1}")
    @CsvSource({"/a/b/*, /a/b/", "/a/b, /a/b", "/**, /", "/a/x?/c, /a/", "/ab*, /"})
    void literalPrefix(String glob, String prefix) {
        assertThat(Glob.compile(glob).literalPrefix()).isEqualTo(prefix);
    }
}
