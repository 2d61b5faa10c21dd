package io.cairn.node.store;

import java.util.List;

/** Part of a listing, with whether entries remain past it. */
public record Page<T>(List<T> items, boolean more) {
    /** {@code limit} items of {@code all} from {@code offset} (past the end: none). */
    public static <T> Page<T> slice(List<T> all, int offset, int limit) {
        int from = Math.min(offset, all.size());
        int to = (int) Math.min((long) from + limit, all.size());
        return new Page<>(List.copyOf(all.subList(from, to)), to < all.size());
    }
}
