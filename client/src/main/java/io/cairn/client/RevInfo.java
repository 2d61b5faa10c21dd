package io.cairn.client;

/** The current revision and the oldest one still readable. */
public record RevInfo(long rev, long oldest) {}
