package io.cairn.node.store;

/**
 * The outcome of one op of an applied command: for GET the value and rev read; for SET and DEL
 * the path and the revision that made the change.
 */
public record OpResult(String path, byte[] value, long rev) {}
