package io.cairn.node.store;

import java.util.List;

/** Part of a listing, with whether entries remain past it. */
public record Page<T>(List<T> items, boolean more) {}
