package io.cairn.client;

import java.util.List;

/**
 * The answer to a transaction: which branch ran, the revision after it, and one result per op
 * (GET: value and rev; SET and DEL: the new rev).
 */
public record TxnResponse(boolean succeeded, long rev, List<Versioned> results) {}
