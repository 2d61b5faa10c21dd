package io.cairn.client;

import java.util.List;

/** One page of a listing read at {@code rev}; {@code more} says whether entries remain. */
public record Page<T>(List<T> items, boolean more, long rev) {}
