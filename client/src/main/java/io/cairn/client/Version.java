package io.cairn.client;

/** One kept version of a file: set to a value of {@code size} bytes, or deleted, at {@code rev}. */
public record Version(long rev, int size, boolean deleted) {}
