package io.cairn.node.store;

/** A file as read at some revision: its value and the rev of its last change. */
public record FileEntry(String path, byte[] value, long rev) {}
