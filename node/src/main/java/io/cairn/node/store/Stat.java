package io.cairn.node.store;

/**
 * What STAT reports: for a file its length and rev, for a directory its child count and
 * {@link Revs#DIR}, for a missing path 0 and {@link Revs#MISSING}.
 */
public record Stat(long rev, int len) {}
