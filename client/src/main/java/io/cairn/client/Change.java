package io.cairn.client;

/**
 * A file that differs between two revisions: as it was ({@code before}, null when it was added)
 * and as it is ({@code after}, null when it was deleted).
 */
public record Change(String path, Versioned before, Versioned after) {
    public enum Kind { ADDED, CHANGED, DELETED }

    public Kind kind() {
        return before == null ? Kind.ADDED : after == null ? Kind.DELETED : Kind.CHANGED;
    }
}
