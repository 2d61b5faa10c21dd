package io.cairn.client;

/** STAT: length and rev of a file; child count and -2 for a directory; 0 and 0 when missing. */
public record StatInfo(long rev, int len) {}
